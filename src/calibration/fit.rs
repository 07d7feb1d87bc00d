//! Replicated runs compared with observations: the fit table of a
//! calibration and the hindcast report.

use rand::Rng;

use crate::random::{Purpose, stream};
use crate::work::{self, Pool, WorkError};

use super::Posterior;
use super::evaluate::Evaluator;
use super::targets::Target;

/// One observation against its simulated distribution.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Observed value.
    pub observed: f64,
    /// Simulated mean over replicates.
    pub mean: f64,
    /// 5% quantile.
    pub q05: f64,
    /// Median.
    pub q50: f64,
    /// 95% quantile.
    pub q95: f64,
    /// Mean minus observed.
    pub error: f64,
    /// Error / observed (NaN when observed is 0).
    pub pct_error: f64,
    /// Whether the observation lies within [q05, q95].
    pub inside_90: bool,
    /// Error / standard error.
    pub z: f64,
}

/// The seed of replicate `r` of a run seeded `seed`.
pub fn replicate_seed(seed: u64, r: usize) -> u64 {
    seed.wrapping_add(r as u64)
}

/// Empirical quantile (linear interpolation) of finite values.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        return f64::NAN;
    }
    f.sort_by(f64::total_cmp);
    let pos = (f.len() - 1) as f64 * q;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    f[lo] + (f[hi] - f[lo]) * (pos - lo as f64)
}

/// Compares each target with its values over replicates (`sims[r][k]`).
pub fn compare(targets: &[Target], sims: &[Vec<f64>]) -> Vec<Comparison> {
    targets
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let v: Vec<f64> = sims.iter().map(|s| s[k]).collect();
            let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
            let mean = if finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().sum::<f64>() / finite.len() as f64
            };
            let (q05, q50, q95) = (quantile(&v, 0.05), quantile(&v, 0.5), quantile(&v, 0.95));
            Comparison {
                observed: t.value,
                mean,
                q05,
                q50,
                q95,
                error: mean - t.value,
                // A change (of a stock over a year) has no meaningful
                // percentage error: its figures can be near or at zero.
                pct_error: if t.value != 0.0 && !t.series.is_change() {
                    (mean - t.value) / t.value
                } else {
                    f64::NAN
                },
                inside_90: q05 <= t.value && t.value <= q95,
                z: (mean - t.value) / t.se,
            }
        })
        .collect()
}

/// Mean absolute percentage error (over the figures that have one: NaN
/// when none has, as for changes), observations inside the 90% interval,
/// and count, per series family, in order of first appearance.
pub fn by_family(targets: &[Target], comps: &[Comparison]) -> Vec<(String, f64, usize, usize)> {
    let mut out: Vec<(String, f64, usize, usize)> = Vec::new();
    let mut with_pct: Vec<usize> = Vec::new();
    for (t, c) in targets.iter().zip(comps) {
        let fam = t.series.family().to_string();
        let i = match out.iter().position(|o| o.0 == fam) {
            Some(i) => i,
            None => {
                out.push((fam, 0.0, 0, 0));
                with_pct.push(0);
                out.len() - 1
            }
        };
        if c.pct_error.is_finite() {
            out[i].1 += c.pct_error.abs();
            with_pct[i] += 1;
        }
        out[i].2 += 1;
        out[i].3 += c.inside_90 as usize;
    }
    for (o, n) in out.iter_mut().zip(with_pct) {
        o.1 = if n == 0 { f64::NAN } else { o.1 / n as f64 };
    }
    out
}

/// Replicated runs: replicate r uses seed `replicate_seed(seed, r)` and, when
/// a posterior is given, a particle drawn by weight from a keyed stream.
/// Returns, per replicate, the value of each target. The replicates are
/// batch `batch` of `pool`.
#[allow(clippy::too_many_arguments)]
pub fn replicate(
    ev: &Evaluator,
    posterior: &Posterior,
    replicates: usize,
    seed: u64,
    scale: f64,
    pool: &dyn Pool,
    batch: &str,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<f64>>, WorkError> {
    let total: f64 = posterior.weights.iter().sum();
    work::map(pool, batch, replicates, |r| -> Result<Vec<f64>, String> {
        let mut rng = stream(seed, r as u64, 0, Purpose::Posterior);
        let x = (rng.next_u32() as f64 + 0.5) / 4_294_967_296.0 * total;
        let mut acc = 0.0;
        let mut pick = posterior.weights.len() - 1;
        for (i, w) in posterior.weights.iter().enumerate() {
            acc += w;
            if x < acc {
                pick = i;
                break;
            }
        }
        let v = ev.simulate(&posterior.particles[pick], replicate_seed(seed, r), scale);
        progress();
        v.map_err(|e| e.to_string())
    })?
    .into_iter()
    .collect::<Result<Vec<_>, String>>()
    .map_err(WorkError::Unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert!((quantile(&v, 0.05) - 1.2).abs() < 1e-12);
        assert!(quantile(&[f64::NAN], 0.5).is_nan());
    }

    #[test]
    fn changes_have_no_percentage_error_and_stay_out_of_the_mape() {
        let rules = crate::testutil::tiny_rules("");
        let grp = &rules.groups[0].name;
        let csv = format!(
            "series,grain,year,month,value,se\n\
             fte.{grp},year,2020,10,100,5\n\
             fte.{grp},year,2021,2,200,5\n\
             fte_change.{grp},month,2021,3,0,5\n\
             fte_change.{grp},year,2021,8,50,5\n"
        );
        let targets = crate::calibration::targets::parse_targets("t.csv", &csv, &rules).unwrap();
        // Two replicates: the stocks 10% high and 10% low on average.
        let sims = vec![vec![110.0, 180.0, 4.0, 40.0], vec![110.0, 180.0, 6.0, 60.0]];
        let comps = compare(&targets, &sims);
        assert!((comps[0].pct_error - 0.1).abs() < 1e-12);
        assert!((comps[1].pct_error + 0.1).abs() < 1e-12);
        assert!(comps[2].pct_error.is_nan() && comps[3].pct_error.is_nan());
        assert_eq!(comps[3].error, 0.0);
        assert!(comps[3].inside_90 && !comps[2].inside_90);
        let fams = by_family(&targets, &comps);
        assert_eq!(fams.len(), 2);
        assert_eq!((fams[0].0.as_str(), fams[0].2, fams[0].3), ("fte", 2, 0));
        assert!((fams[0].1 - 0.1).abs() < 1e-12);
        assert_eq!((fams[1].0.as_str(), fams[1].2, fams[1].3), ("fte_change", 2, 1));
        assert!(fams[1].1.is_nan());
    }
}
