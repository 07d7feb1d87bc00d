//! The initial population (month 0), synthesised deterministically:
//! from `[[stock]]` blocks with keyed random attributes, or from the
//! fully deterministic lattice layout used by benchmarks.

use rand::Rng;

use crate::clinician::{Clinician, State};
use crate::config::{RawInitial, RawLtft, RawStock};
use crate::error::ConfigError;
use crate::limits::MAX_POPULATION;
use crate::mechanisms::apportion;
use crate::mechanisms::inflow::{Profile, new_clinician};
use crate::random::{Purpose, stream};
use crate::random::{THRESHOLD_SCALE, threshold};
use crate::rules::{Compiler, Grade, GradeKind, Group, Initial, Lattice, MAX_AGE_MONTHS, Rules, Stock};

/// An iterator that knows exactly how many items remain, so bevy can
/// reserve its storage once.
struct Counted<I> {
    inner: I,
    remaining: usize,
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let x = self.inner.next()?;
        self.remaining -= 1;
        Some(x)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// The initial population, generated lazily with an exact length (never
/// held in a second buffer). `agents` overrides the lattice size.
pub fn population(rules: &Rules, seed: u64, agents: Option<u64>) -> Box<dyn Iterator<Item = Clinician> + '_> {
    match &rules.initial {
        Initial::Stocks(stocks) => {
            let blocks: Vec<(usize, u8, u64)> = stocks
                .iter()
                .enumerate()
                .flat_map(|(si, s)| {
                    apportion(s.headcount, &rules.region_shares)
                        .into_iter()
                        .enumerate()
                        .map(move |(r, n)| (si, r as u8, n))
                })
                .collect();
            let total: u64 = blocks.iter().map(|b| b.2).sum();
            let iter = blocks
                .into_iter()
                .flat_map(|(si, r, n)| (0..n).map(move |_| (si, r)))
                .enumerate()
                .map(move |(id, (si, r))| from_stock(rules, seed, id as u64, si, r));
            Box::new(Counted {
                inner: iter,
                remaining: total as usize,
            })
        }
        Initial::Lattice(l) => {
            let n = agents.unwrap_or(l.agents);
            Box::new(Counted {
                inner: (0..n).map(move |i| lattice_member(rules, l, i)),
                remaining: n as usize,
            })
        }
    }
}

fn from_stock(rules: &Rules, seed: u64, id: u64, si: usize, r: u8) -> Clinician {
    let Initial::Stocks(stocks) = &rules.initial else {
        unreachable!("called for stock layouts only")
    };
    let s = &stocks[si];
    let g = &rules.grades[s.grade as usize];
    let profile = Profile {
        grade: s.grade,
        state: s.state,
        region: r,
        age: s.age_months,
        female_threshold: s.female_threshold,
    };
    let mut c = new_clinician(seed, id, 0, profile);
    let mut rng = stream(seed, id, 0, Purpose::Synthesis2);
    if g.kind != GradeKind::Employed {
        let u = rng.next_u32();
        let d = g.duration_tenths.max(1) as u32;
        let p = if s.progress_survivors {
            exit_prob(rules, &c)
        } else {
            0.0
        };
        c.progress_tenths = if !s.cohorts.is_empty() {
            cohort_progress(u, d, p, &s.cohorts)
        } else if s.progress_survivors {
            survivor_progress(u, d, p)
        } else {
            (u % d) as u16
        };
    }
    if s.state == State::Pause {
        c.paused_months = (rng.next_u32() % rules.pause.max_months as u32) as u8;
        c.months_in_state = c.paused_months as u16;
    }
    if let Some((lo, hi)) = s.months_in_state {
        c.months_in_state = lo + (rng.next_u32() % (hi - lo + 1) as u32) as u16;
    }
    c.fte_tenths = match s.state {
        State::Student => 0,
        State::Trainee => 10,
        State::Ltft => crate::mechanisms::fte_around(s.fte_mean, seed, id, 0).clamp(1, 9),
        _ => crate::mechanisms::fte_around(s.fte_mean, seed, id, 0),
    };
    if let Some(p) = &rules.pensions {
        let entry = crate::mechanisms::pension::initial_entry(p, c.age_months);
        crate::mechanisms::pension::assign(rules, &mut c, seed, entry);
    }
    c
}

/// The monthly probability that any hazard of a clinician's (grade, state,
/// age band, sex) cell fires at the start: for a student, leaving the course.
fn exit_prob(rules: &Rules, c: &Clinician) -> f64 {
    let outcomes = rules.outcomes_of(c.grade, c.state, c.age_months, c.is_female());
    outcomes
        .last()
        .map_or(0.0, |o| o.cum_threshold as f64 / THRESHOLD_SCALE)
}

/// Progress (tenths of a month, below `d`) from a uniform draw `u`, with
/// density proportional to the share of an intake still in the course after
/// that long when a share `p` leaves each month: the inverse of the
/// truncated exponential distribution; uniform when `p` is 0.
fn survivor_progress(u: u32, d: u32, p: f64) -> u16 {
    let lambda = -(1.0 - p.min(0.999_999)).ln() / 10.0; // per tenth of a month
    if lambda <= 0.0 {
        return (u % d) as u16;
    }
    let x = (u as f64 + 0.5) / THRESHOLD_SCALE;
    let t = -(1.0 - x * (1.0 - (-lambda * d as f64).exp())).ln() / lambda;
    (t.floor() as u32).min(d - 1) as u16
}

/// Progress (tenths of a month, below `d`) on whole cohorts: each
/// `(months, share)` cohort sits at `months`, `months + 12`, ... with weight
/// `share` times the share of its intake still in the course, `(1 - p)^t`.
fn cohort_progress(u: u32, d: u32, p: f64, cohorts: &[(u16, f64)]) -> u16 {
    let mut points: Vec<(u32, f64)> = Vec::new();
    for &(m, share) in cohorts {
        let mut t = m as u32 * 10;
        while t < d {
            points.push((t, share * (1.0 - p).powf(t as f64 / 10.0)));
            t += 120;
        }
    }
    let total: f64 = points.iter().map(|x| x.1).sum();
    if points.is_empty() || total <= 0.0 {
        return (u % d) as u16;
    }
    let mut x = (u as f64 + 0.5) / THRESHOLD_SCALE * total;
    for &(t, w) in &points {
        if x < w {
            return t as u16;
        }
        x -= w;
    }
    points[points.len() - 1].0 as u16
}

fn pick<T: Copy>(weights: &[(u32, T)], digit: u64) -> T {
    let mut acc = 0u64;
    for &(w, v) in weights {
        acc += w as u64;
        if digit < acc {
            return v;
        }
    }
    weights[weights.len() - 1].1
}

/// The lattice layout: clinician i has group digit i mod G, state digit
/// (i div G) mod S (each picked by cumulative weights), age
/// base + (i x stride) mod span, progress i mod duration (whole months),
/// pause months i mod cap, region (i div (G x S)) mod regions.
pub fn lattice_member(rules: &Rules, l: &Lattice, i: u64) -> Clinician {
    let gsum: u64 = l.groups.iter().map(|x| x.0 as u64).sum();
    let ssum: u64 = l.states.iter().map(|x| x.0 as u64).sum();
    let regions = rules.regions.len() as u64;
    let group = pick(&l.groups, i % gsum);
    let state = pick(&l.states, (i / gsum) % ssum);
    let grade = l.grade_of[group as usize][state as usize];
    let g = &rules.grades[grade as usize];
    let months = (g.duration_tenths / 10).max(1) as u64;
    let mut c = Clinician {
        id_lo: i as u32,
        id_hi: (i >> 32) as u16,
        age_months: (l.age.0 as u64 + (i.wrapping_mul(l.age.1)) % l.age.2 as u64) as u16,
        months_in_state: 0,
        progress_tenths: 0,
        pathway_start: 0,
        grade,
        state,
        region: ((i / (gsum * ssum)) % regions) as u8,
        fte_tenths: 10,
        flags: 0,
        paused_months: 0,
    };
    match state {
        State::Student => {
            c.progress_tenths = ((i % months) * 10) as u16;
            c.fte_tenths = 0;
        }
        State::Trainee => c.progress_tenths = ((i % months) * 10) as u16,
        State::Ltft => {
            c.progress_tenths = ((i % months) * 10) as u16;
            c.fte_tenths = l.ltft_fte_tenths;
        }
        State::Pause => {
            c.progress_tenths = ((i % months) * 10) as u16;
            c.paused_months = (i % rules.pause.max_months as u64) as u8;
            c.months_in_state = c.paused_months as u16;
        }
        _ => c.fte_tenths = (g.fte_mean * 10.0).round() as u8,
    }
    c
}

/// Validates and compiles `[initial]` and `[[stock]]`: the initial
/// population as stock blocks or as the benchmark lattice.
/// A stock's `cohort_months` and `cohort_shares`.
fn cohorts(
    c: &Compiler<'_>,
    s: &RawStock,
    k: &dyn Fn(&str) -> String,
    kind: GradeKind,
) -> Result<Vec<(u16, f64)>, ConfigError> {
    let Some(months) = &s.cohort_months else {
        if let Some(sh) = &s.cohort_shares {
            return Err(c.err(k("cohort_shares"), format!("{sh:?}"), "shares need `cohort_months`"));
        }
        return Ok(Vec::new());
    };
    if kind == GradeKind::Employed {
        return Err(c.err(
            k("cohort_months"),
            format!("{months:?}"),
            format!("grade {} is employed and has no course to progress through", s.grade),
        ));
    }
    if months.is_empty() || months.iter().any(|&m| m > 11) {
        return Err(c.err(
            k("cohort_months"),
            format!("{months:?}"),
            "months since each intake must lie in 0-11",
        ));
    }
    let shares = match &s.cohort_shares {
        Some(sh) => c.shares(&k("cohort_shares"), sh, months.len())?,
        None => vec![1.0 / months.len() as f64; months.len()],
    };
    Ok(months.iter().map(|&m| m as u16).zip(shares).collect())
}

pub(crate) fn compile(
    c: &Compiler<'_>,
    init: &RawInitial,
    raw_stocks: &[RawStock],
    ltft: &RawLtft,
    grades: &[Grade],
    groups: &[Group],
) -> Result<Initial, ConfigError> {
    match init.layout.as_deref().unwrap_or("stocks") {
        "stocks" => {
            let mut stocks = Vec::new();
            for (i, s) in raw_stocks.iter().enumerate() {
                let k = |x: &str| match &s.name {
                    Some(n) => format!("stock.{n}.{x}"),
                    None => format!("stock.{i}.{x}"),
                };
                let grade = c.grade(&k("grade"), &s.grade, grades)?;
                let state = c.state(&k("state"), &s.state, false)?;
                let kind = grades[grade as usize].kind;
                let ok = match state {
                    State::Student => kind == GradeKind::Student,
                    State::Trainee | State::Ltft | State::Pause => kind == GradeKind::Training,
                    State::Qualified | State::OverseasRecruit => kind == GradeKind::Employed,
                    State::Returner | State::Leaver => kind != GradeKind::Student,
                    State::Gone => false,
                };
                if !ok {
                    return Err(c.err(
                        k("state"),
                        &s.state,
                        format!("grade {} cannot hold this state", s.grade),
                    ));
                }
                c.count(&k("headcount"), s.headcount)?;
                c.fte(&k("fte_mean"), s.fte_mean)?;
                stocks.push(Stock {
                    grade,
                    state,
                    headcount: (s.headcount / c.scale).round() as u64,
                    age_months: c.age_range(&k("age_years"), s.age_years)?,
                    female_threshold: threshold(c.prob(&k("share_female"), s.share_female)?),
                    fte_mean: s.fte_mean,
                    months_in_state: s
                        .months_in_state_years
                        .map(|r| c.years_range(&k("months_in_state_years"), r, "a time-in-state"))
                        .transpose()?,
                    progress_survivors: match s.progress.as_deref() {
                        None | Some("uniform") => false,
                        Some("survivors") if kind != GradeKind::Employed => true,
                        Some("survivors") => {
                            return Err(c.err(
                                k("progress"),
                                "survivors",
                                format!("grade {} is employed and has no course to progress through", s.grade),
                            ));
                        }
                        Some(other) => return Err(c.err(k("progress"), other, "must be \"uniform\" or \"survivors\"")),
                    },
                    cohorts: cohorts(c, s, &k, kind)?,
                });
            }
            Ok(Initial::Stocks(stocks))
        }
        "lattice" => {
            let missing = |f: &str| c.err(format!("initial.{f}"), "(missing)", "required by the lattice layout");
            let gw = init.group_weights.as_ref().ok_or_else(|| missing("group_weights"))?;
            let sw = init.state_weights.as_ref().ok_or_else(|| missing("state_weights"))?;
            let gm = init.grades.as_ref().ok_or_else(|| missing("grades"))?;
            // Weights are taken in group (config) order and state (enum) order.
            let mut gws = Vec::new();
            for name in gw.keys() {
                groups
                    .iter()
                    .position(|g| &g.name == name)
                    .ok_or_else(|| c.err("initial.group_weights", name, "unknown group"))?;
            }
            for (gi, g) in groups.iter().enumerate() {
                if let Some(w) = gw.get(&g.name) {
                    gws.push((*w, gi as u8));
                }
            }
            let mut sws = Vec::new();
            for name in sw.keys() {
                c.state("initial.state_weights", name, false)?;
            }
            for st in State::CAREER {
                if let Some(w) = sw.get(st.name()) {
                    sws.push((*w, st));
                }
            }
            if gws.iter().map(|x| x.0 as u64).sum::<u64>() == 0 || sws.iter().map(|x| x.0 as u64).sum::<u64>() == 0 {
                return Err(c.err("initial.group_weights", "0", "weights must not all be zero"));
            }
            let mut grade_of = vec![[u8::MAX; State::COUNT]; groups.len()];
            for &(_, gi) in &gws {
                let gname = &groups[gi as usize].name;
                let row = gm.get(gname).ok_or_else(|| {
                    c.err(
                        format!("initial.grades.{gname}"),
                        "(missing)",
                        "grade of each state needed",
                    )
                })?;
                for &(_, st) in &sws {
                    let gr = row.get(st.name()).ok_or_else(|| {
                        c.err(
                            format!("initial.grades.{gname}.{}", st.name()),
                            "(missing)",
                            "grade needed",
                        )
                    })?;
                    let g = c.grade(&format!("initial.grades.{gname}.{}", st.name()), gr, grades)?;
                    if grades[g as usize].group != gi {
                        return Err(c.err(
                            format!("initial.grades.{gname}.{}", st.name()),
                            gr,
                            "grade of another group",
                        ));
                    }
                    grade_of[gi as usize][st as usize] = g;
                }
            }
            let span = init.age_months_span.ok_or_else(|| missing("age_months_span"))?;
            if span == 0 || span as usize > MAX_AGE_MONTHS {
                return Err(c.err(
                    "initial.age_months_span",
                    span,
                    format!("must be 1..={MAX_AGE_MONTHS} months"),
                ));
            }
            let base = init.age_months_base.ok_or_else(|| missing("age_months_base"))?;
            if base as usize > MAX_AGE_MONTHS {
                return Err(c.err(
                    "initial.age_months_base",
                    base,
                    format!("must be 0..={MAX_AGE_MONTHS} months"),
                ));
            }
            let agents = init.agents.unwrap_or(0);
            if agents > MAX_POPULATION {
                return Err(c.err("initial.agents", agents, format!("at most {MAX_POPULATION} clinicians")));
            }
            Ok(Initial::Lattice(Lattice {
                agents: (agents as f64 / c.scale).round() as u64,
                groups: gws,
                states: sws,
                grade_of,
                age: (base, init.age_months_stride.unwrap_or(1), span),
                ltft_fte_tenths: c.fte("initial.ltft_fte", init.ltft_fte.unwrap_or(ltft.max_wte))?,
            }))
        }
        other => Err(c.err("initial.layout", format!("\"{other}\""), "layout is stocks or lattice")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    fn initial(extra: &str, scale: f64) -> Result<Initial, ConfigError> {
        let raw = tiny_raw(extra);
        let c = compiler(&raw, scale);
        let groups = crate::mechanisms::retirement::compile(&c, &raw.group, 2020)?;
        let grades = crate::mechanisms::progression::compile(&c, &raw.grade, &groups)?;
        compile(&c, &raw.initial, &raw.stock, &raw.ltft, &grades, &groups)
    }

    #[test]
    fn initial_section_scales_stocks_and_checks_the_lattice() {
        let stock = "[[stock]]\ngrade = \"st\"\nstate = \"trainee\"\nheadcount = 1000\nage_years = [28, 35]\nshare_female = 0.5\nfte_mean = 1.0\n";
        let Initial::Stocks(stocks) = initial(stock, 4.0).unwrap() else {
            panic!("stocks expected")
        };
        assert_eq!(
            (stocks[0].grade, stocks[0].headcount, stocks[0].age_months),
            (1, 250, (336, 420))
        );
        let e = invalid(initial(&stock.replace("trainee", "qualified"), 1.0));
        assert_eq!(e, ("stock.0.state".into(), "grade st cannot hold this state".into()));
        let e = invalid(initial("[initial]\nlayout = \"lattice\"\n", 1.0));
        assert_eq!(e.0, "initial.group_weights");
    }

    /// `progress = "survivors"`: with 2% of trainees leaving a month, fewer
    /// of a 24-month programme's trainees are in its second year than its
    /// first, as if constant intakes had been thinned by leaving; uniform
    /// without the option (and with it, where no hazard acts).
    #[test]
    fn survivors_progress_thins_the_later_years_by_the_exit_hazard() {
        let stock = "[[stock]]\ngrade = \"ct\"\nstate = \"trainee\"\nheadcount = 20000\nage_years = [25, 30]\n";
        let hazard = "[[hazard]]\nname = \"quit\"\ngrades = [\"ct\"]\nstate = \"trainee\"\nto = \"leaver\"\nmonthly_prob = 0.02\n";
        let second_year_share = |extra: &str| {
            let rules = crate::testutil::tiny_rules(extra);
            let people: Vec<Clinician> = population(&rules, 5, None).collect();
            people.iter().filter(|c| c.progress_tenths >= 120).count() as f64 / people.len() as f64
        };
        // Density e^(-lambda t) on [0, 24) months, lambda = -ln(0.98): the
        // share in [12, 24) is (e^(-12 lambda) - e^(-24 lambda)) / (1 - e^(-24 lambda)).
        let l = -(0.98f64).ln();
        let expected = ((-12.0 * l).exp() - (-24.0 * l).exp()) / (1.0 - (-24.0 * l).exp());
        assert!((expected - 0.4399).abs() < 1e-3, "{expected}");
        let se = (expected * (1.0 - expected) / 20000.0).sqrt(); // 0.0035
        let survivors = format!("{}progress = \"survivors\"\n{hazard}", stock);
        let got = second_year_share(&survivors);
        assert!((got - expected).abs() < 4.0 * se, "{got} vs {expected}");
        let uniform = second_year_share(&format!("{stock}{hazard}"));
        assert!((uniform - 0.5).abs() < 4.0 * (0.25f64 / 20000.0).sqrt(), "{uniform}");
        let no_exit = second_year_share(&format!("{stock}progress = \"survivors\"\n"));
        assert!((no_exit - 0.5).abs() < 4.0 * (0.25f64 / 20000.0).sqrt(), "{no_exit}");
        let e = invalid(initial(&format!("{stock}progress = \"oldest\"\n"), 1.0));
        assert_eq!(
            e,
            ("stock.0.progress".into(), "must be \"uniform\" or \"survivors\"".into())
        );
        let e = invalid(initial(
            "[[stock]]\ngrade = \"consultant\"\nstate = \"qualified\"\nheadcount = 10\nage_years = [40, 50]\nprogress = \"survivors\"\n",
            1.0,
        ));
        assert_eq!(
            e,
            (
                "stock.0.progress".into(),
                "grade consultant is employed and has no course to progress through".into()
            )
        );
    }

    /// `cohort_months = [0, 7]`, `cohort_shares = [0.75, 0.25]`: every
    /// trainee sits on a whole cohort (0, 7, 12 or 19 months into the
    /// 24-month programme), three quarters on the September ones; with
    /// `survivors` the second year holds the first year's cohorts thinned by
    /// a year of leaving (0.98^12).
    #[test]
    fn cohorts_put_students_on_whole_intakes() {
        let stock = "[[stock]]\ngrade = \"ct\"\nstate = \"trainee\"\nheadcount = 20000\nage_years = [25, 30]\n\
                     cohort_months = [0, 7]\ncohort_shares = [0.75, 0.25]\n";
        let hazard = "[[hazard]]\nname = \"quit\"\ngrades = [\"ct\"]\nstate = \"trainee\"\nto = \"leaver\"\nmonthly_prob = 0.02\n";
        let counts = |extra: &str| {
            let rules = crate::testutil::tiny_rules(extra);
            let mut n = std::collections::BTreeMap::new();
            for c in population(&rules, 5, None) {
                *n.entry(c.progress_tenths).or_insert(0u32) += 1;
            }
            n
        };
        let even = counts(&format!("{stock}{hazard}"));
        assert_eq!(even.keys().copied().collect::<Vec<_>>(), vec![0, 70, 120, 190]);
        let september = (even[&0] + even[&120]) as f64 / 20000.0;
        assert!(
            (september - 0.75).abs() < 4.0 * (0.75f64 * 0.25 / 20000.0).sqrt(),
            "{september}"
        );
        let thinned = counts(&format!("{stock}progress = \"survivors\"\n{hazard}"));
        // Weights 0.75, 0.75 q^12, 0.25 q^7, 0.25 q^19 (q = 0.98): the second
        // year's share is (0.75 q^12 + 0.25 q^19) / total.
        let q = 0.98f64;
        let w = [0.75, 0.75 * q.powi(12), 0.25 * q.powi(7), 0.25 * q.powi(19)];
        let expected = (w[1] + w[3]) / w.iter().sum::<f64>();
        let got = (thinned[&120] + thinned[&190]) as f64 / 20000.0;
        assert!(
            (got - expected).abs() < 4.0 * (expected * (1.0 - expected) / 20000.0).sqrt(),
            "{got} vs {expected}"
        );
        let e = invalid(initial(&stock.replace("[0, 7]", "[0, 12]"), 1.0));
        assert_eq!(
            e,
            (
                "stock.0.cohort_months".into(),
                "months since each intake must lie in 0-11".into()
            )
        );
        let e = invalid(initial(&stock.replace("[0.75, 0.25]", "[0.75, 0.5]"), 1.0));
        assert_eq!(
            e,
            (
                "stock.0.cohort_shares".into(),
                "needs 2 non-negative shares summing to 1".into()
            )
        );
    }

    /// A lapsed pool at the start: leavers who have been away 1-2 years,
    /// spread uniformly over those months.
    #[test]
    fn a_stock_can_start_with_time_already_in_its_state() {
        let pool = "[[stock]]\ngrade = \"consultant\"\nstate = \"leaver\"\nheadcount = 2000\nage_years = [40, 50]\n\
                    months_in_state_years = [1, 2]\n";
        let rules = crate::testutil::tiny_rules(pool);
        let people: Vec<Clinician> = population(&rules, 3, None).collect();
        assert_eq!(people.len(), 2000);
        assert!(
            people
                .iter()
                .all(|c| c.state == State::Leaver && (12..=24).contains(&c.months_in_state))
        );
        let mean = people.iter().map(|c| c.months_in_state as f64).sum::<f64>() / 2000.0;
        // Uniform on 12..=24: mean 18, sd 3.74, se of the mean 0.084.
        assert!((mean - 18.0).abs() < 4.0 * 0.084, "{mean}");
        let e = invalid(initial(&pool.replace("[1, 2]", "[2, 1]"), 1.0));
        assert_eq!(
            e,
            (
                "stock.0.months_in_state_years".into(),
                "a time-in-state range must be [min, max] years within 0-100".into()
            )
        );
    }
}
