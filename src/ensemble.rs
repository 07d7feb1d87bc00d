//! Scenario ensembles: every scenario × parameter draw × replicate, with
//! common random numbers, optional branching from a shared history, and the
//! summary and paired-difference tables.
//!
//! Replicate r uses seed `seed + r` in every scenario and every parameter
//! draw, so differences between scenarios are paired (common random
//! numbers) and differences between draws are parameter effects. Parameter
//! draw d takes a posterior particle chosen by a keyed stream (seed, d).

use std::sync::Arc;

use rand::Rng;
use rayon::prelude::*;

use crate::calendar::YearMonth;
use crate::calibration::fit::quantile;
use crate::calibration::{FreeParam, Posterior};
use crate::config::ConfigSource;
use crate::random::{Purpose, stream};
use crate::rules::{GradeKind, Rules};
use crate::scenario::{RunError, Scenario, baseline_rules, run_scenario, run_to_branch};
use crate::series::{Grain, SeriesId};
use crate::work::{self, Pool, WorkError};

/// What to run.
pub struct EnsembleSpec<'a> {
    /// Baseline config.
    pub config: &'a ConfigSource,
    /// Overrides of the baseline (parameter overlay, `--set`).
    pub base: Vec<String>,
    /// Scenarios; the first is the baseline every other is compared with.
    pub scenarios: Vec<Scenario>,
    /// Replicates per scenario and draw.
    pub replicates: usize,
    /// Seed of replicate 0.
    pub seed: u64,
    /// Months to run.
    pub months: u32,
    /// Months of shared history to run once per replicate and draw before
    /// the scenarios diverge (`--branch-at`), if any.
    pub branch: Option<u32>,
    /// Posterior to draw parameters from, and the number of draws.
    pub posterior: Option<(&'a [FreeParam], &'a Posterior, usize)>,
    /// A saved snapshot (`--from-snapshot`) every run continues from:
    /// replicate r continues with seed `seed + r`, where `seed` is the
    /// snapshot's own, so replicate 0 is the saved run's own future.
    pub from_snapshot: Option<&'a [u8]>,
}

/// A reported series at a grain.
#[derive(Clone, Debug)]
pub struct Reported {
    /// The series.
    pub id: SeriesId,
    /// Its grain.
    pub grain: Grain,
}

/// The series a scenario table reports for a config: by staff group,
/// headcount and FTE, leavers and leaver rate, joiners; headcount and FTE
/// of every employed grade; doctors, GP FTE and trainees by region; LTFT and pause
/// shares of trainees, pause returns, CCTs, unfilled posts, international
/// joiners; consultants of each specialty by region and its trainees;
/// nurses, leavers, joiners and intakes of each nursing field; nurse,
/// doctor and GP FTE of each ICS;
/// posts filled and fill rate of each recruitment scheme; mean
/// time to CCT, pooled and per CCT-awarding grade; funded
/// establishment, vacancies and vacancy rate of groups that have one.
pub fn reported_series(rules: &Rules) -> Vec<Reported> {
    let mut names: Vec<(String, Grain)> = Vec::new();
    for g in &rules.groups {
        for m in ["headcount", "fte"] {
            names.push((format!("{m}.{}", g.name), Grain::Year));
        }
        for m in ["count.leavers", "rate.leaver", "count.joiners"] {
            names.push((format!("{m}.{}", g.name), Grain::Year));
        }
    }
    for g in &rules.grades {
        if g.kind == GradeKind::Employed {
            names.push((format!("headcount.{}", g.name), Grain::Year));
            names.push((format!("fte.{}", g.name), Grain::Year));
        }
    }
    // Consultants of each specialty by region, its trainees nationally.
    for (sp, programme, later_of) in &rules.specialties {
        if later_of.is_some() {
            continue; // in its specialty's series
        }
        if programme != "core" {
            names.push((format!("fte.consultant_{sp}"), Grain::Year));
            for r in rules.reporting_regions() {
                names.push((format!("fte.consultant_{sp}@{r}"), Grain::Year));
            }
        }
        names.push((format!("headcount.trainee_{sp}"), Grain::Year));
    }
    // Nursing fields: their nurses, leavers and intakes (an intake split by
    // field is an inflow family).
    for f in &rules.nursing_fields {
        for m in ["fte", "count.leavers", "count.joiners"] {
            names.push((format!("{m}.nurse_{f}"), Grain::Year));
        }
    }
    for fam in &rules.inflow_families {
        names.push((format!("count.starts.{}", fam.name), Grain::Year));
        for &i in &fam.members {
            names.push((format!("count.starts.{}", rules.inflows[i].name), Grain::Year));
        }
    }
    // With ICSs: nurses, doctors and GPs of each ICS.
    if !rules.region_groups.is_empty() {
        for ics in &rules.regions {
            for g in ["nurse", "doctor", "gp"] {
                names.push((format!("fte.{g}@{ics}"), Grain::Year));
            }
        }
    }
    for r in rules.reporting_regions() {
        names.push((format!("headcount.doctor@{r}"), Grain::Year));
        names.push((format!("fte.gp@{r}"), Grain::Year));
        names.push((format!("headcount.in_training@{r}"), Grain::Year));
    }
    for n in [
        "share.ltft.in_training",
        "share.pause.in_training",
        "count.pause_returns.all",
        "count.ccts.all",
        "count.unfilled_posts.all",
        "count.intl_joiners.all",
        "time_to_cct.all",
    ] {
        names.push((n.to_string(), Grain::Year));
    }
    for s in &rules.schemes {
        for m in ["count.acceptances", "rate.fill"] {
            names.push((format!("{m}.{}", s.name), Grain::Year));
        }
    }
    // A scheme split by specialty or nursing field, as a whole.
    for f in &rules.scheme_families {
        for m in ["count.acceptances", "rate.fill"] {
            names.push((format!("{m}.{}", f.name), Grain::Year));
        }
    }
    for g in rules.groups.iter().filter(|g| g.establishment.is_some()) {
        for m in ["establishment", "vacancies", "rate.vacancy"] {
            names.push((format!("{m}.{}", g.name), Grain::Year));
        }
    }
    // Spend and FTE-years, for the cost-effectiveness table; the attrition
    // cost of each course.
    if rules.cost.is_some() {
        for sc in cost_scopes(rules) {
            for m in COST_MEASURES {
                names.push((format!("{m}.{sc}"), Grain::Year));
            }
        }
        for g in rules.grades.iter().filter(|g| g.kind == GradeKind::Student) {
            names.push((format!("cost.attrition.{}", g.name), Grain::Year));
        }
        // A course split by nursing field, as a whole (its named scope).
        for sc in &rules.scopes {
            let covered: Vec<usize> = (0..rules.grades.len()).filter(|&g| sc.covers[g]).collect();
            if covered.len() >= 2 && covered.iter().all(|&g| rules.grades[g].kind == GradeKind::Student) {
                names.push((format!("cost.attrition.{}", sc.name), Grain::Year));
            }
        }
    }
    if let Some(p) = &rules.pensions {
        for g in &rules.groups {
            for m in ["count.retirements", "count.retire_and_return"] {
                names.push((format!("{m}.{}", g.name), Grain::Year));
            }
        }
        // The senior grades the pension-tax periods act on, as a whole
        // (`consultant`: every specialty's), when they are not one grade.
        if !p.periods.is_empty() {
            for sc in &rules.scopes {
                let covered: Vec<usize> = (0..rules.grades.len()).filter(|&g| sc.covers[g]).collect();
                if covered.len() >= 2 && covered.iter().all(|&g| p.tax_grade[g]) {
                    names.push((format!("fte.{}", sc.name), Grain::Year));
                }
            }
        }
    }
    // Pathways differ by years (GP training against specialty training), so
    // a policy's effect on one is diluted in the pooled mean.
    for g in &rules.grades {
        if g.awards_cct {
            names.push((format!("time_to_cct.{}", g.name), Grain::Year));
        }
    }
    // Pathways split by specialty, pooled again: the named scopes made only
    // of two or more CCT-awarding grades (`higher_specialty`, `run_through`).
    for sc in &rules.scopes {
        let covered: Vec<usize> = (0..rules.grades.len()).filter(|&g| sc.covers[g]).collect();
        if covered.len() >= 2 && covered.iter().all(|&g| rules.grades[g].awards_cct) {
            names.push((format!("time_to_cct.{}", sc.name), Grain::Year));
        }
    }
    let mut seen: Vec<String> = Vec::new();
    names.retain(|(n, _)| {
        let fresh = !seen.contains(n);
        seen.push(n.clone());
        fresh
    });
    names
        .into_iter()
        .filter_map(|(n, grain)| SeriesId::parse(rules, &n).ok().map(|id| Reported { id, grain }))
        .collect()
}

/// The measures of the cost-effectiveness table, reported per scope.
pub const COST_MEASURES: [&str; 6] = [
    "cost.total",
    "cost.pay",
    "cost.training",
    "cost.recruitment",
    "cost.programme",
    "fte_years",
];

/// The scopes costed: every staff group, then all.
pub fn cost_scopes(rules: &Rules) -> Vec<String> {
    rules
        .groups
        .iter()
        .map(|g| g.name.clone())
        .chain(std::iter::once("all".to_string()))
        .collect()
}

/// One row of the cost-effectiveness table: a scenario against the
/// baseline, for a scope, over the years from the start through `through`.
#[derive(Clone, Debug)]
pub struct CostEffect {
    /// Scenario.
    pub scenario: String,
    /// Scope (a staff group or `all`).
    pub scope: String,
    /// Last month of the last year counted.
    pub through: YearMonth,
    /// Paired difference in discounted spend (`cost.total`), pounds.
    pub delta_cost: Stats,
    /// Paired difference in discounted spend other than pay (training,
    /// recruitment, programmes): what the route itself costs.
    pub delta_non_pay: Stats,
    /// Paired difference in discounted FTE-years.
    pub delta_fte_years: Stats,
    /// Cost per additional FTE-year: mean difference in cost / mean
    /// difference in FTE-years (NaN when the FTE-years do not differ).
    pub per_fte_year: f64,
    /// Its 5%, 50% and 95% quantiles over the paired runs; NaN when some
    /// pair gains no FTE-years or the pairs disagree in sign (the ratio is
    /// then unbounded).
    pub per_fte_year_q: [f64; 3],
    /// Non-pay spend per additional FTE-year, and its quantiles.
    pub non_pay_per_fte_year: f64,
    /// Quantiles of the non-pay ratio (as `per_fte_year_q`).
    pub non_pay_per_fte_year_q: [f64; 3],
    /// Pairs of runs.
    pub pairs: usize,
}

/// A ratio of paired sums: (ratio of means, quantiles of per-pair ratios
/// when every pair's denominator has the same non-zero sign).
fn paired_ratio(num: &[f64], den: &[f64]) -> (f64, [f64; 3]) {
    let n = num.len().max(1) as f64;
    let (mn, md) = (num.iter().sum::<f64>() / n, den.iter().sum::<f64>() / n);
    let point = if md == 0.0 || !md.is_finite() {
        f64::NAN
    } else {
        mn / md
    };
    let same_sign = den.iter().all(|&d| d > 0.0) || den.iter().all(|&d| d < 0.0);
    let q = if same_sign && !den.is_empty() {
        let r: Vec<f64> = num.iter().zip(den).map(|(a, b)| a / b).collect();
        [quantile(&r, 0.05), quantile(&r, 0.5), quantile(&r, 0.95)]
    } else {
        [f64::NAN; 3]
    };
    (point, q)
}

/// Cost per additional FTE-year of each scenario against the baseline, per
/// costed scope, cumulated over whole years from the start through each
/// report year, both discounted at `[cost] discount_rate` from the first
/// year (the ratio does not depend on the year discounting starts from:
/// before the first lever the runs are identical). Pairs are the runs of
/// the same parameter draw and replicate (common random numbers).
pub fn cost_effectiveness(
    spec: &EnsembleSpec,
    rules: &Rules,
    series: &[Reported],
    runs: &[RunValues],
) -> Vec<CostEffect> {
    let Some(cost) = &rules.cost else { return Vec::new() };
    let months = report_months(spec.months);
    let years: Vec<(usize, u32)> = months
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, m)| m % 12 == 0)
        .collect();
    let index = |name: &str| series.iter().position(|s| s.id.name == name);
    let baseline: Vec<&RunValues> = runs.iter().filter(|r| r.scenario == 0).collect();
    let mut out = Vec::new();
    for (s, scen) in spec.scenarios.iter().enumerate().skip(1) {
        let mine: Vec<&RunValues> = runs.iter().filter(|r| r.scenario == s).collect();
        for sc in cost_scopes(rules) {
            let ks: Vec<Option<usize>> = COST_MEASURES.iter().map(|m| index(&format!("{m}.{sc}"))).collect();
            let (Some(total), Some(pay), Some(fte)) = (ks[0], ks[1], ks[5]) else {
                continue;
            };
            // Per pair, the discounted cumulative differences.
            let mut acc: Vec<[f64; 3]> = vec![[0.0; 3]; mine.len()];
            for (k, &(mi, m)) in years.iter().enumerate() {
                let d = crate::mechanisms::cost::discount(cost.discount_rate, k);
                let at = |run: &RunValues, series: usize| run.values[series * months.len() + mi];
                for (p, (a, b)) in mine.iter().zip(&baseline).enumerate() {
                    let dt = at(a, total) - at(b, total);
                    let dp = at(a, pay) - at(b, pay);
                    acc[p][0] += d * dt;
                    acc[p][1] += d * (dt - dp);
                    acc[p][2] += d * (at(a, fte) - at(b, fte));
                }
                let col = |i: usize| -> Vec<f64> { acc.iter().map(|a| a[i]).collect() };
                let (dc, dn, df) = (col(0), col(1), col(2));
                let (per, per_q) = paired_ratio(&dc, &df);
                let (non, non_q) = paired_ratio(&dn, &df);
                out.push(CostEffect {
                    scenario: scen.name.clone(),
                    scope: sc.clone(),
                    through: rules.start.plus(m),
                    delta_cost: Stats::of(&dc),
                    delta_non_pay: Stats::of(&dn),
                    delta_fte_years: Stats::of(&df),
                    per_fte_year: per,
                    per_fte_year_q: per_q,
                    non_pay_per_fte_year: non,
                    non_pay_per_fte_year_q: non_q,
                    pairs: dc.len(),
                });
            }
        }
    }
    out
}

/// Report months: every twelve months from the start, and the last month.
pub fn report_months(months: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (1..).map(|k| 12 * k).take_while(|&m| m <= months).collect();
    if v.last() != Some(&months) && months > 0 {
        v.push(months);
    }
    v
}

/// One run's values.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunValues {
    /// Scenario index.
    pub scenario: usize,
    /// Parameter draw.
    pub draw: usize,
    /// Particle used by the draw (if a posterior was given).
    pub particle: Option<usize>,
    /// Replicate.
    pub replicate: usize,
    /// Seed.
    pub seed: u64,
    /// Value per (series, report month), series-major; NaN where undefined.
    pub values: Vec<f64>,
}

/// The particle of draw `d`.
pub fn particle_of_draw(post: &Posterior, seed: u64, d: usize) -> usize {
    let total: f64 = post.weights.iter().sum();
    let mut rng = stream(seed, d as u64, 0, Purpose::Posterior);
    let x = (rng.next_u32() as f64 + 0.5) / 4_294_967_296.0 * total;
    let mut acc = 0.0;
    for (i, w) in post.weights.iter().enumerate() {
        acc += w;
        if x < acc {
            return i;
        }
    }
    post.weights.len() - 1
}

/// Runs the ensemble on `pool`; `progress` is called once per scenario
/// run computed. The work units (batch `ensemble`) are the runs (draw,
/// replicate, scenario); with `--branch-at`, the (draw, replicate) pairs,
/// each running its shared history once and every scenario from it.
pub fn run_ensemble(
    spec: &EnsembleSpec,
    series: &[Reported],
    pool: &dyn Pool,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<RunValues>, RunError> {
    let draws = spec.posterior.map_or(1, |p| p.2.max(1));
    let months = report_months(spec.months);
    let n_scen = spec.scenarios.len();
    let per_unit = if spec.branch.is_some() { n_scen } else { 1 };
    let n_units = draws * spec.replicates * n_scen / per_unit;
    // Unit u: draw-major, then replicate, then (unbranched) scenario.
    let unit = |u: usize| -> Result<Vec<RunValues>, String> {
        let first = u * per_unit;
        let (d, r) = (first / (spec.replicates * n_scen), first / n_scen % spec.replicates);
        let scens: Vec<usize> = (first % n_scen..first % n_scen + per_unit).collect();
        let seed = spec.seed.wrapping_add(r as u64);
        let mut base = spec.base.clone();
        let particle = spec.posterior.map(|(free, post, _)| {
            let i = particle_of_draw(post, spec.seed, d);
            base.extend(free.iter().zip(&post.particles[i]).map(|(p, &x)| p.override_for(x)));
            i
        });
        let rules = Arc::new(baseline_rules(spec.config, &base, spec.months).map_err(|e| e.to_string())?);
        let branch = match (spec.branch, spec.from_snapshot) {
            (Some(b), _) => Some(run_to_branch(rules.clone(), seed, b)),
            _ => None,
        };
        let snapshot = branch.as_deref().or(spec.from_snapshot);
        scens
            .par_iter()
            .map(|&s| {
                let h = run_scenario(spec.config, &base, rules.clone(), &spec.scenarios[s], seed, snapshot)
                    .map_err(|e| e.to_string())?;
                let mut values = Vec::with_capacity(series.len() * months.len());
                for rep in series {
                    for &m in &months {
                        values.push(
                            rep.id
                                .value(&rules, &h.records, m as usize, rep.grain)
                                .unwrap_or(f64::NAN),
                        );
                    }
                }
                progress();
                Ok(RunValues {
                    scenario: s,
                    draw: d,
                    particle,
                    replicate: r,
                    seed,
                    values,
                })
            })
            .collect()
    };
    let mut out = Vec::new();
    for u in work::map(pool, "ensemble", n_units, unit)? {
        out.extend(u.map_err(WorkError::Unit)?);
    }
    out.sort_by_key(|v| (v.scenario, v.draw, v.replicate));
    Ok(out)
}

/// Summary statistics of a set of values.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// 5% quantile.
    pub q05: f64,
    /// Median.
    pub q50: f64,
    /// 95% quantile.
    pub q95: f64,
}

impl Stats {
    /// Of finite values (NaN fields if none).
    pub fn of(v: &[f64]) -> Stats {
        let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        let mean = if f.is_empty() {
            f64::NAN
        } else {
            f.iter().sum::<f64>() / f.len() as f64
        };
        Stats {
            mean,
            q05: quantile(&f, 0.05),
            q50: quantile(&f, 0.5),
            q95: quantile(&f, 0.95),
        }
    }
}

/// Monte-Carlo and parameter standard deviations from a draws × replicates
/// table: MC = root mean within-draw variance; parameter = SD of draw means.
pub fn decompose(by_draw: &[Vec<f64>]) -> (f64, f64) {
    let var = |v: &[f64]| {
        if v.len() < 2 {
            return f64::NAN;
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
    };
    let within: Vec<f64> = by_draw.iter().map(|v| var(v)).filter(|x| x.is_finite()).collect();
    let mc = if within.is_empty() {
        f64::NAN
    } else {
        (within.iter().sum::<f64>() / within.len() as f64).sqrt()
    };
    let means: Vec<f64> = by_draw
        .iter()
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    (mc, var(&means).sqrt())
}

/// One row of the summary or difference table.
#[derive(Clone, Debug)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Series name.
    pub series: String,
    /// Calendar month.
    pub date: YearMonth,
    /// Statistics over runs.
    pub stats: Stats,
    /// Monte-Carlo SD (within parameter draws).
    pub sd_monte_carlo: f64,
    /// Parameter SD (between draw means); NaN with one draw.
    pub sd_parameter: f64,
}

/// Summary rows (per scenario) and paired differences from scenario 0.
pub fn tables(spec: &EnsembleSpec, rules: &Rules, series: &[Reported], runs: &[RunValues]) -> (Vec<Row>, Vec<Row>) {
    let months = report_months(spec.months);
    let draws = spec.posterior.map_or(1, |p| p.2.max(1));
    let value = |run: &RunValues, k: usize, mi: usize| -> f64 { run.values[k * months.len() + mi] };
    let mut summary = Vec::new();
    let mut diff = Vec::new();
    let baseline: Vec<&RunValues> = runs.iter().filter(|r| r.scenario == 0).collect();
    for (s, scen) in spec.scenarios.iter().enumerate() {
        let mine: Vec<&RunValues> = runs.iter().filter(|r| r.scenario == s).collect();
        for (k, name) in series.iter().map(|s| &s.id.name).enumerate() {
            for (mi, &m) in months.iter().enumerate() {
                let date = rules.start.plus(m);
                let row = |vals: Vec<(usize, f64)>| {
                    let all: Vec<f64> = vals.iter().map(|v| v.1).collect();
                    let by_draw: Vec<Vec<f64>> = (0..draws)
                        .map(|d| {
                            vals.iter()
                                .filter(|v| v.0 == d && v.1.is_finite())
                                .map(|v| v.1)
                                .collect()
                        })
                        .collect();
                    let (mc, par) = decompose(&by_draw);
                    Row {
                        scenario: scen.name.clone(),
                        series: name.clone(),
                        date,
                        stats: Stats::of(&all),
                        sd_monte_carlo: mc,
                        sd_parameter: if draws > 1 { par } else { f64::NAN },
                    }
                };
                summary.push(row(mine.iter().map(|r| (r.draw, value(r, k, mi))).collect()));
                if s > 0 {
                    let paired: Vec<(usize, f64)> = mine
                        .iter()
                        .zip(&baseline)
                        .map(|(a, b)| (a.draw, value(a, k, mi) - value(b, k, mi)))
                        .collect();
                    diff.push(row(paired));
                }
            }
        }
    }
    (summary, diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_months_are_yearly_and_the_end() {
        assert_eq!(report_months(30), vec![12, 24, 30]);
        assert_eq!(report_months(24), vec![12, 24]);
        assert_eq!(report_months(5), vec![5]);
    }

    #[test]
    fn a_paired_ratio_is_undefined_without_a_difference_and_unbounded_across_zero() {
        let (p, q) = paired_ratio(&[0.0, 0.0], &[0.0, 0.0]);
        assert!(p.is_nan() && q.iter().all(|x| x.is_nan()));
        let (p, q) = paired_ratio(&[10.0, 30.0], &[1.0, 1.0]);
        assert_eq!(p, 20.0);
        assert!(q[0] >= 10.0 && q[2] <= 30.0 && q[0] < q[2]);
        let (p, q) = paired_ratio(&[10.0, 30.0], &[2.0, -1.0]);
        assert_eq!(p, 40.0);
        assert!(q.iter().all(|x| x.is_nan()));
    }

    #[test]
    fn decomposition_separates_within_and_between_draw_spread() {
        // Two draws whose means differ by 10, each with within-draw SD 1.
        let by_draw = vec![vec![-1.0, 1.0], vec![9.0, 11.0]];
        let (mc, par) = decompose(&by_draw);
        assert!((mc - 2f64.sqrt()).abs() < 1e-12);
        assert!((par - 50f64.sqrt()).abs() < 1e-12);
    }
}
