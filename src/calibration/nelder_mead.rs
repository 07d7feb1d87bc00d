//! Nelder-Mead on the unit cube of the free parameters (points outside are
//! clamped): a fast point fit. The initial simplex is evaluated in
//! parallel; each later step is one model run (d on a shrink). Each
//! evaluation is a batch of `crate::work` (`nm-<runs so far>`), so a
//! resumed fit recomputes none it finished.

use crate::work::{self, Pool, WorkError};

use super::Posterior;
use super::evaluate::Evaluator;

/// Minimises the distance from the config's own values (or the centre of
/// the bounds) within `budget` model runs.
pub fn nelder_mead(
    ev: &Evaluator,
    budget: u64,
    seed: u64,
    pool: &dyn Pool,
    progress: &(dyn Fn() + Sync),
) -> Result<Posterior, WorkError> {
    let d = ev.free.len();
    let many = |runs: u64, points: &[Vec<f64>]| -> Result<Vec<f64>, WorkError> {
        work::map(pool, &format!("nm-{runs}"), points.len(), |i| {
            let theta: Vec<f64> = ev
                .free
                .iter()
                .zip(&points[i])
                .map(|(p, &x)| p.from_unit(x.clamp(0.0, 1.0)))
                .collect();
            let v = ev.distance(&theta, seed);
            progress();
            v
        })
    };
    let f = |runs: u64, u: &[f64]| -> Result<f64, WorkError> { Ok(many(runs, &[u.to_vec()])?[0]) };
    let start: Vec<f64> = ev
        .free
        .iter()
        .map(|p| {
            let u = p.to_unit(p.config_value);
            if (0.0..=1.0).contains(&u) { u } else { 0.5 }
        })
        .collect();
    let mut simplex: Vec<Vec<f64>> = (0..=d)
        .map(|i| {
            let mut v = start.clone();
            if i > 0 {
                let j = i - 1;
                v[j] = if v[j] + 0.25 <= 1.0 { v[j] + 0.25 } else { v[j] - 0.25 };
            }
            v
        })
        .collect();
    let mut values: Vec<f64> = many(0, &simplex)?;
    let mut runs = (d + 1) as u64;
    while runs < budget {
        let mut order: Vec<usize> = (0..=d).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        if (values[d] - values[0]).abs() < 1e-6 {
            break;
        }
        let centroid: Vec<f64> = (0..d)
            .map(|j| simplex[..d].iter().map(|v| v[j]).sum::<f64>() / d as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..d)
                .map(|j| (centroid[j] + t * (simplex[d][j] - centroid[j])).clamp(0.0, 1.0))
                .collect()
        };
        let xr = along(-1.0);
        let fr = f(runs, &xr)?;
        runs += 1;
        if fr < values[0] {
            let xe = along(-2.0);
            let fe = f(runs, &xe)?;
            runs += 1;
            (simplex[d], values[d]) = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < values[d - 1] {
            (simplex[d], values[d]) = (xr, fr);
        } else {
            let xc = if fr < values[d] { along(-0.5) } else { along(0.5) };
            let fc = f(runs, &xc)?;
            runs += 1;
            if fc < values[d].min(fr) {
                (simplex[d], values[d]) = (xc, fc);
            } else {
                let best = simplex[0].clone();
                let shrunk: Vec<Vec<f64>> = simplex[1..]
                    .iter()
                    .map(|v| v.iter().zip(&best).map(|(x, b)| b + 0.5 * (x - b)).collect())
                    .collect();
                let fs: Vec<f64> = many(runs, &shrunk)?;
                runs += d as u64;
                for (k, (v, fv)) in shrunk.into_iter().zip(fs).enumerate() {
                    simplex[k + 1] = v;
                    values[k + 1] = fv;
                }
            }
        }
    }
    let best = (0..=d)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)))
        .unwrap_or(0);
    let theta: Vec<f64> = ev
        .free
        .iter()
        .zip(&simplex[best])
        .map(|(p, &x)| p.from_unit(x))
        .collect();
    Ok(Posterior {
        particles: vec![theta],
        weights: vec![1.0],
        distances: vec![values[best]],
        runs,
        tolerances: Vec::new(),
    })
}
