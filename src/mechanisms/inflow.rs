//! Joiners: student intakes (places and applicants per year, starts = the
//! smaller, per region) and international recruits (arriving as
//! `overseas_recruit`, then passing or failing the pipeline by hazards).

use crate::clinician::{Clinician, FLAG_FEMALE, FLAG_PATHWAY_KNOWN, State};
use crate::config::RawInflow;
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::random::threshold;
use crate::random::{Purpose, stream};
use crate::rules::{Compiler, Grade, GradeKind, Rules, Series, check_unique};
use rand::Rng;

use super::apportion;
use super::recruitment::Family;

/// Joiners a year of one inflow (and so a month, in one region) at most:
/// a joiner's number within its origin has 23 bits (`inflow::joiner_id`).
pub const MAX_JOINERS_PER_MONTH: u64 = 1 << 23;
/// Inflows at most when joiners are numbered by origin (6 bits).
pub const MAX_INFLOWS_BY_ORIGIN: usize = 64;
/// Regions at most when joiners are numbered by origin (6 bits, so the 42
/// integrated care systems fit).
pub const MAX_REGIONS_BY_ORIGIN: usize = 64;
/// Largest monthly share of the initial population (at most 2^32) that
/// keeps a month's joiners of one inflow within 23 bits.
pub const MAX_SHARE_BY_ORIGIN: f64 = 1.0 / 512.0;

/// How joiners are numbered; a clinician's id keys its random streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinerIds {
    /// From (month, inflow, region, number within them): common random
    /// numbers between scenarios survive a change to any one inflow.
    ByOrigin,
    /// On from the initial population, in order of arrival.
    Sequential,
}

/// A compiled inflow.
#[derive(Clone, Debug)]
pub struct Inflow {
    /// Name.
    pub name: String,
    /// Grade joined.
    pub grade: u8,
    /// State joined.
    pub state: State,
    /// Arrival calendar months, ascending.
    pub months: Vec<u32>,
    /// Share of the year's joiners in each of `months`.
    pub month_shares: Vec<f64>,
    /// Places per year.
    pub places: Option<Series>,
    /// Applicants per year.
    pub applicants: Option<Series>,
    /// Per month, share of the initial population.
    pub per_month_share_of_initial: Option<f64>,
    /// Age range in months.
    pub age_months: (u16, u16),
    /// Female threshold.
    pub female_threshold: u64,
    /// FTE tenths.
    pub fte_tenths: u8,
}

/// Planned places and applicants of an inflow this month, nationally.
pub fn planned(f: &Inflow, calendar_month: u32, year: i32, initial_population: u64) -> (u64, u64) {
    if let Some(share) = f.per_month_share_of_initial {
        let n = (initial_population as f64 * share).ceil() as u64;
        return (n, n);
    }
    let Some(k) = f.months.iter().position(|&m| m == calendar_month) else {
        return (0, 0);
    };
    let split = |v: f64| apportion(v.round() as u64, &f.month_shares)[k];
    let places = f.places.as_ref().map_or(0, |s| split(s.at(year)));
    let applicants = f.applicants.as_ref().map_or(places, |s| split(s.at(year)));
    (places, applicants)
}

/// Where a new clinician starts and how its attributes are drawn.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Grade.
    pub grade: u8,
    /// State.
    pub state: State,
    /// Region.
    pub region: u8,
    /// Age range in months.
    pub age: (u16, u16),
    /// Female threshold.
    pub female_threshold: u64,
}

/// A new clinician with keyed attributes: age uniform in the range, sex.
pub fn new_clinician(seed: u64, id: u64, month: u32, p: Profile) -> Clinician {
    let Profile {
        grade,
        state,
        region,
        age,
        female_threshold,
    } = p;
    let mut rng = stream(seed, id, month, Purpose::Synthesis);
    let span = (age.1 - age.0) as u32 + 1;
    let age_months = age.0 + (rng.next_u32() % span) as u16;
    let female = (rng.next_u32() as u64) < female_threshold;
    let mut c = Clinician {
        id_lo: 0,
        age_months,
        months_in_state: 0,
        progress_tenths: 0,
        pathway_start: 0,
        grade,
        state,
        region,
        fte_tenths: 0,
        flags: if female { FLAG_FEMALE } else { 0 },
        paused_months: 0,
        id_hi: 0,
    };
    c.set_id(id);
    c
}

/// The id of joiner number `k` (from 0) of an inflow in a region and month,
/// when joiners are numbered by origin. Bits, low to high: k (23), region
/// (6), inflow (6), month (12), then a top bit that keeps joiners apart
/// from the initial population (ids below 2^32). The rules bound each
/// field (`rules::MAX_JOINERS_PER_MONTH` and the `*_BY_ORIGIN` limits;
/// months are at most 2,400).
pub fn joiner_id(month: u32, inflow: usize, region: usize, k: u64) -> u64 {
    debug_assert!(k < 1 << 23 && region < 64 && inflow < 64 && month < 1 << 12);
    1 << 47 | (month as u64) << 35 | (inflow as u64) << 29 | (region as u64) << 23 | k
}

/// The joiners of every inflow this month, plus (places, applicants,
/// starts) per inflow. Ids by origin ([`joiner_id`]), or on from `next_id`
/// when the rules number joiners sequentially.
pub fn joiners(
    rules: &Rules,
    seed: u64,
    month: u32,
    initial_population: u64,
    next_id: &mut u64,
) -> (Vec<Clinician>, Vec<(u32, u32, u32)>) {
    let date = rules.start.plus(month);
    let mut out = Vec::new();
    let mut counts = Vec::with_capacity(rules.inflows.len());
    for (i, f) in rules.inflows.iter().enumerate() {
        let (places, applicants) = planned(f, date.month, date.year, initial_population);
        let by_region_places = apportion(places, &rules.region_shares);
        let by_region_apps = apportion(applicants, &rules.region_shares);
        let mut starts = 0;
        for (r, (&p, &a)) in by_region_places.iter().zip(&by_region_apps).enumerate() {
            for k in 0..p.min(a) {
                let profile = Profile {
                    grade: f.grade,
                    state: f.state,
                    region: r as u8,
                    age: f.age_months,
                    female_threshold: f.female_threshold,
                };
                let id = match rules.joiner_ids {
                    JoinerIds::ByOrigin => joiner_id(month, i, r, k),
                    JoinerIds::Sequential => {
                        *next_id += 1;
                        *next_id - 1
                    }
                };
                let mut c = new_clinician(seed, id, month, profile);
                c.fte_tenths = match f.state {
                    State::Trainee => 10,
                    State::Student => 0,
                    _ => f.fte_tenths,
                };
                if rules.grades[f.grade as usize].starts_pathway {
                    c.pathway_start = month as u16;
                    c.flags |= FLAG_PATHWAY_KNOWN;
                }
                super::pension::assign(rules, &mut c, seed, super::pension::entry_at(rules, month));
                out.push(c);
                starts += 1;
            }
        }
        counts.push((places as u32, applicants as u32, starts));
    }
    (out, counts)
}

/// Validates and compiles `[[inflow]]` and how joiners are numbered
/// (`model.joiner_ids`, which bounds the inflows, regions and shares).
pub(crate) fn compile(
    c: &Compiler<'_>,
    raw_inflows: &[RawInflow],
    joiner_ids: Option<&str>,
    grades: &[Grade],
    n_regions: usize,
    start_year: i32,
) -> Result<(Vec<Inflow>, Vec<Family>, JoinerIds), ConfigError> {
    let mut inflows = Vec::new();
    let mut families: Vec<Family> = Vec::new();
    for f in raw_inflows {
        let k = |x: &str| format!("inflow.{}.{x}", f.name);
        let grade = c.grade(&k("grade"), &f.grade, grades)?;
        let state = c.state(&k("state"), &f.state, false)?;
        let gk = grades[grade as usize].kind;
        let ok = match state {
            State::Student => gk == GradeKind::Student,
            State::Trainee => gk == GradeKind::Training,
            // Lapsed registrants recruited by a return campaign join on a
            // Return to Practice course (`returner`) before qualifying.
            State::Qualified | State::OverseasRecruit | State::Returner => gk == GradeKind::Employed,
            _ => false,
        };
        if !ok {
            return Err(c.err(
                k("state"),
                &f.state,
                format!("joiners cannot enter grade {} in this state", f.grade),
            ));
        }
        let months = match &f.months {
            Some(m) => c.months_list(&k("months"), m)?,
            None => (1..=12).collect(),
        };
        let shares = match &f.month_shares {
            Some(s) => c.shares(&k("month_shares"), s, months.len())?,
            // Equal weights (apportion normalises).
            None => vec![1.0; months.len()],
        };
        let mut by_month: Vec<(u32, f64)> = months.into_iter().zip(shares).collect();
        by_month.sort_unstable_by_key(|&(m, _)| m);
        let (months, month_shares): (Vec<u32>, Vec<f64>) = by_month.into_iter().unzip();
        let take_up = match f.take_up_share {
            Some(s) => c.prob(&k("take_up_share"), s)?,
            None => 1.0,
        };
        if f.take_up_share.is_some() && f.per_year.is_none() {
            return Err(c.err(k("take_up_share"), fmt_num(take_up), "take_up_share scales per_year"));
        }
        let places = f
            .per_year
            .as_ref()
            .map(|s| c.series(&k("per_year"), s, start_year).map(|s| s.scaled(take_up)))
            .transpose()?;
        let applicants = f
            .applicants_per_year
            .as_ref()
            .map(|s| c.series(&k("applicants_per_year"), s, start_year))
            .transpose()?;
        if let Some(s) = f.per_month_share_of_initial {
            c.prob(&k("per_month_share_of_initial"), s)?;
        }
        // Joiner numbers within a (month, inflow, region) have 23 bits.
        for (key, s) in [
            ("per_year", &f.per_year),
            ("applicants_per_year", &f.applicants_per_year),
        ] {
            if let Some((y, v)) = s.iter().flatten().find(|(_, v)| **v > MAX_JOINERS_PER_MONTH as f64) {
                return Err(c.err(
                    format!("{}.{y}", k(key)),
                    fmt_num(*v),
                    format!("at most {MAX_JOINERS_PER_MONTH} a year"),
                ));
            }
        }
        if places.is_some() == f.per_month_share_of_initial.is_some() {
            return Err(c.err(
                k("per_year"),
                "(both or neither)",
                "give exactly one of per_year and per_month_share_of_initial",
            ));
        }
        let fte = f.fte.unwrap_or(grades[grade as usize].fte_mean);
        if let Some(name) = &f.family {
            match families.iter_mut().find(|x| &x.name == name) {
                Some(x) => x.members.push(inflows.len()),
                None => families.push(Family {
                    name: name.clone(),
                    members: vec![inflows.len()],
                }),
            }
        }
        inflows.push(Inflow {
            name: f.name.clone(),
            grade,
            state,
            months,
            month_shares,
            places,
            applicants,
            per_month_share_of_initial: f.per_month_share_of_initial,
            age_months: c.age_range(&k("age_years"), f.age_years)?,
            female_threshold: threshold(c.prob(&k("share_female"), f.share_female)?),
            fte_tenths: c.fte(&k("fte"), fte)?,
        });
    }
    check_unique(c, "inflow", &inflows.iter().map(|i| i.name.clone()).collect::<Vec<_>>())?;
    let joiner_ids = match joiner_ids {
        None | Some("by_origin") => JoinerIds::ByOrigin,
        Some("sequential") => JoinerIds::Sequential,
        Some(other) => {
            return Err(c.err("model.joiner_ids", other, "must be by_origin or sequential"));
        }
    };
    if joiner_ids == JoinerIds::ByOrigin {
        if inflows.len() > MAX_INFLOWS_BY_ORIGIN {
            return Err(c.err(
                "inflow",
                inflows.len(),
                format!("at most {MAX_INFLOWS_BY_ORIGIN} inflows with model.joiner_ids = by_origin"),
            ));
        }
        if n_regions > MAX_REGIONS_BY_ORIGIN {
            return Err(c.err(
                "region",
                n_regions,
                format!("at most {MAX_REGIONS_BY_ORIGIN} regions with model.joiner_ids = by_origin"),
            ));
        }
        if let Some(f) = inflows
            .iter()
            .find(|f| f.per_month_share_of_initial.is_some_and(|s| s > MAX_SHARE_BY_ORIGIN))
        {
            return Err(c.err(
                format!("inflow.{}.per_month_share_of_initial", f.name),
                fmt_num(f.per_month_share_of_initial.unwrap_or_default()),
                "at most 1/512 with model.joiner_ids = by_origin (or set it to sequential)",
            ));
        }
    }
    Ok((inflows, families, joiner_ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_source;
    use crate::testutil::{compiler, invalid, tiny_raw};

    #[test]
    fn joiner_ids_by_origin_are_distinct_and_above_the_initial_population() {
        let mut seen = std::collections::BTreeSet::new();
        for month in [1, 2, 2399] {
            for inflow in [0, 1, 63] {
                for region in [0, 1, 63] {
                    for k in [0, 1, (1 << 23) - 1] {
                        let id = joiner_id(month, inflow, region, k);
                        assert!((1 << 47..1 << 48).contains(&id));
                        assert!(seen.insert(id), "{month} {inflow} {region} {k}");
                    }
                }
            }
        }
    }

    fn load(extra: &str, model: &str) -> Result<crate::rules::Rules, String> {
        let mut source = tiny_source("");
        source.text = source.text.replace("months = 12\n", &format!("months = 12\n{model}\n")) + extra;
        crate::load_rules(&source, &[]).map_err(|e| e.to_string())
    }

    #[test]
    fn joiner_numbering_and_its_limits_are_checked_at_load() {
        let intake = |v: &str| {
            format!("\n[[inflow]]\nname = \"cts\"\ngrade = \"ct\"\nstate = \"trainee\"\nage_years = [24, 26]\n{v}\n")
        };
        assert!(load(&intake("per_year = { 2020 = 100 }"), "").is_ok());
        let e = load("", "joiner_ids = \"random\"").unwrap_err();
        assert!(e.contains("model.joiner_ids") && e.contains("random"), "{e}");
        let e = load(&intake("per_year = { 2020 = 20000000 }"), "").unwrap_err();
        assert!(e.contains("inflow.cts.per_year.2020") && e.contains("20000000"), "{e}");
        let share = intake("per_month_share_of_initial = 0.01");
        let e = load(&share, "").unwrap_err();
        assert!(e.contains("inflow.cts.per_month_share_of_initial"), "{e}");
        assert!(load(&share, "joiner_ids = \"sequential\"").is_ok());
    }

    #[test]
    fn take_up_share_scales_the_yearly_places() {
        let intake = |v: &str| {
            format!("\n[[inflow]]\nname = \"img\"\ngrade = \"ct\"\nstate = \"trainee\"\nage_years = [24, 26]\n{v}\n")
        };
        let r = load(
            &intake("per_year = { 2020 = 1000, 2021 = 2000 }\ntake_up_share = 0.25"),
            "",
        )
        .unwrap();
        let places = r.inflows[0].places.as_ref().unwrap();
        assert_eq!((places.at(2020), places.at(2021)), (250.0, 500.0));
        let e = load(&intake("per_year = { 2020 = 1000 }\ntake_up_share = 1.5"), "").unwrap_err();
        assert!(e.contains("inflow.img.take_up_share") && e.contains("1.5"), "{e}");
        let e = load(
            &intake("per_month_share_of_initial = 0.01\ntake_up_share = 0.5"),
            "joiner_ids = \"sequential\"",
        )
        .unwrap_err();
        assert!(e.contains("inflow.img.take_up_share"), "{e}");
    }

    fn inflows(extra: &str, joiner_ids: Option<&str>) -> Result<(Vec<Inflow>, JoinerIds), ConfigError> {
        let raw = tiny_raw(extra);
        let c = compiler(&raw, 2.0);
        let groups = crate::mechanisms::retirement::compile(&c, &raw.group, 2020)?;
        let grades = crate::mechanisms::progression::compile(&c, &raw.grade, &groups)?;
        compile(&c, &raw.inflow, joiner_ids, &grades, 1, 2020).map(|(i, _, j)| (i, j))
    }

    const IMG: &str = "[[inflow]]\nname = \"img\"\ngrade = \"consultant\"\nstate = \"overseas_recruit\"\nage_years = [30, 40]\nshare_female = 0.5\nmonths = [9, 3]\n";

    #[test]
    fn inflow_section_compiles_scaled_places_and_sorted_months() {
        let (f, ids) = inflows(&format!("{IMG}per_year = {{ 2020 = 100 }}\n"), None).unwrap();
        assert_eq!(ids, JoinerIds::ByOrigin);
        assert_eq!(
            (f[0].months.as_slice(), f[0].places.as_ref().map(|p| p.at(2030))),
            ([3, 9].as_slice(), Some(50.0))
        );
        assert_eq!(
            inflows(&format!("{IMG}per_year = {{ 2020 = 1 }}\n"), Some("sequential"))
                .unwrap()
                .1,
            JoinerIds::Sequential
        );
    }

    /// `month_shares` follow the months as given (September 0.8, March 0.2),
    /// stay with their month when the months are sorted, and split each
    /// year's places exactly; shares that do not sum to 1 are refused.
    #[test]
    fn month_shares_split_the_year_between_the_arrival_months() {
        let (f, _) = inflows(
            &format!("{IMG}month_shares = [0.8, 0.2]\nper_year = {{ 2020 = 1000 }}\n"),
            None,
        )
        .unwrap();
        assert_eq!(
            (f[0].months.as_slice(), f[0].month_shares.as_slice()),
            ([3, 9].as_slice(), [0.2, 0.8].as_slice())
        );
        // Scale 2: 500 places a year, 400 in September and 100 in March.
        assert_eq!(planned(&f[0], 9, 2021, 0), (400, 400));
        assert_eq!(planned(&f[0], 3, 2021, 0), (100, 100));
        assert_eq!(planned(&f[0], 5, 2021, 0), (0, 0));
        let (even, _) = inflows(&format!("{IMG}per_year = {{ 2020 = 1001 }}\n"), None).unwrap();
        assert_eq!(planned(&even[0], 3, 2021, 0).0 + planned(&even[0], 9, 2021, 0).0, 501);
        let e = invalid(inflows(
            &format!("{IMG}month_shares = [0.8, 0.3]\nper_year = {{ 2020 = 1 }}\n"),
            None,
        ));
        assert_eq!(
            e,
            (
                "inflow.img.month_shares".into(),
                "needs 2 non-negative shares summing to 1".into()
            )
        );
    }

    #[test]
    fn inflow_section_refuses_what_it_cannot_number_or_size() {
        let both = format!("{IMG}per_year = {{ 2020 = 1 }}\nper_month_share_of_initial = 0.001\n");
        assert_eq!(invalid(inflows(&both, None)).0, "inflow.img.per_year");
        let e = invalid(inflows(&format!("{IMG}per_year = {{ 2020 = 1 }}\n"), Some("random")));
        assert_eq!(e, ("model.joiner_ids".into(), "must be by_origin or sequential".into()));
        let e = invalid(inflows(&format!("{IMG}per_month_share_of_initial = 0.01\n"), None));
        assert_eq!(e.0, "inflow.img.per_month_share_of_initial");
    }
}
