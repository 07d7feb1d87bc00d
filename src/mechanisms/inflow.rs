//! Joiners: student intakes (places and applicants per year, starts = the
//! smaller, per region) and international recruits (arriving as
//! `overseas_recruit`, then passing or failing the pipeline by hazards).

use crate::clinician::{Clinician, FLAG_FEMALE, FLAG_PATHWAY_KNOWN, State};
use crate::random::{Purpose, stream};
use crate::rules::{Inflow, JoinerIds, Rules};
use rand::Rng;

use super::apportion;

/// Planned places and applicants of an inflow this month, nationally.
pub fn planned(f: &Inflow, calendar_month: u32, year: i32, initial_population: u64) -> (u64, u64) {
    if let Some(share) = f.per_month_share_of_initial {
        let n = (initial_population as f64 * share).ceil() as u64;
        return (n, n);
    }
    let Some(k) = f.months.iter().position(|&m| m == calendar_month) else {
        return (0, 0);
    };
    let even = vec![1.0; f.months.len()];
    let split = |v: f64| apportion(v.round() as u64, &even)[k];
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
/// when joiners are numbered by origin. Bits, low to high: k (24), region
/// (5), inflow (6), month (12), then a top bit that keeps joiners apart
/// from the initial population (ids below 2^32). The rules bound each
/// field (`rules::MAX_JOINERS_PER_MONTH` and the `*_BY_ORIGIN` limits;
/// months are at most 2,400).
pub fn joiner_id(month: u32, inflow: usize, region: usize, k: u64) -> u64 {
    debug_assert!(k < 1 << 24 && region < 32 && inflow < 64 && month < 1 << 12);
    1 << 47 | (month as u64) << 35 | (inflow as u64) << 29 | (region as u64) << 24 | k
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
                out.push(c);
                starts += 1;
            }
        }
        counts.push((places as u32, applicants as u32, starts));
    }
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_source;

    #[test]
    fn joiner_ids_by_origin_are_distinct_and_above_the_initial_population() {
        let mut seen = std::collections::BTreeSet::new();
        for month in [1, 2, 2399] {
            for inflow in [0, 1, 63] {
                for region in [0, 1, 31] {
                    for k in [0, 1, (1 << 24) - 1] {
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
}
