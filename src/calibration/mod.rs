//! Calibration to published figures and hindcasts.
//!
//! - [`targets`]: observed figures mapped to series of the vocabulary
//!   (`crate::series`), parsed with file/line/field errors.
//! - [`free`]: the free parameters (config paths with priors or bounds) and
//!   parameter overlays (`best.toml`, `run --params`).
//! - [`evaluate`]: one model run per candidate, with common random numbers,
//!   and the distance between simulated and observed values.
//! - [`abc`]: ABC-SMC (a weighted posterior sample); [`nelder_mead`]: a
//!   fast point fit.
//! - [`fit`]: per-target comparison of replicated runs with observations
//!   (fit tables and hindcasts).
//!
//! Nothing here reads or writes files: texts come in, values go out.

pub mod abc;
pub mod evaluate;
pub mod fit;
pub mod free;
pub mod nelder_mead;
pub mod targets;

pub use evaluate::Evaluator;
pub use free::{FreeParam, Prior, parse_free, parse_params_overlay, parse_posterior, render_params_overlay};
pub use targets::{Target, parse_targets};

/// A CSV reader over a text and its header, with the file named in errors.
pub(crate) fn csv_with_header<'t>(
    file: &str,
    text: &'t str,
) -> Result<(csv::Reader<&'t [u8]>, csv::StringRecord), crate::error::InputError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| crate::error::InputError::File {
            file: file.into(),
            message: format!("cannot read the header: {e}"),
        })?
        .clone();
    Ok((reader, headers))
}

/// A weighted parameter sample (ABC-SMC particles, or one point).
#[derive(Clone, Debug)]
pub struct Posterior {
    /// Parameter values, one vector per particle (in the order of the free parameters).
    pub particles: Vec<Vec<f64>>,
    /// Normalised weights.
    pub weights: Vec<f64>,
    /// Distance of each particle.
    pub distances: Vec<f64>,
    /// Model runs spent.
    pub runs: u64,
    /// Tolerance of each completed generation (ABC-SMC).
    pub tolerances: Vec<f64>,
}

impl Posterior {
    /// The particle with the smallest distance.
    pub fn best(&self) -> &[f64] {
        let i = self
            .distances
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(&b.0)))
            .map_or(0, |p| p.0);
        &self.particles[i]
    }

    /// Weighted quantile of parameter `j`.
    pub fn quantile(&self, j: usize, q: f64) -> f64 {
        let mut v: Vec<(f64, f64)> = self
            .particles
            .iter()
            .map(|p| p[j])
            .zip(self.weights.iter().copied())
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = v.iter().map(|x| x.1).sum();
        let mut acc = 0.0;
        for &(x, w) in &v {
            acc += w;
            if acc >= q * total {
                return x;
            }
        }
        v.last().map_or(f64::NAN, |x| x.0)
    }

    /// Weighted mean of parameter `j`.
    pub fn mean(&self, j: usize) -> f64 {
        let total: f64 = self.weights.iter().sum();
        self.particles
            .iter()
            .zip(&self.weights)
            .map(|(p, w)| p[j] * w)
            .sum::<f64>()
            / total
    }
}
