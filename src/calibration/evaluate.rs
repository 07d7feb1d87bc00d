//! One model run per candidate parameter vector, and its distance to the
//! targets.

use std::sync::Arc;

use crate::config::ConfigSource;
use crate::error::ConfigError;
use crate::ledger::MonthRecord;
use crate::load::load_rules;
use crate::rules::Rules;
use crate::schedule::Simulation;

use super::free::FreeParam;
use super::targets::Target;

/// Runs the model for candidate parameters and compares it with targets.
pub struct Evaluator<'a> {
    /// The config.
    pub config: &'a ConfigSource,
    /// Overrides applied before the free parameters (e.g. `--set`, `--params`).
    pub base: Vec<String>,
    /// Free parameters.
    pub free: &'a [FreeParam],
    /// Targets.
    pub targets: &'a [Target],
    /// Population scale k for calibration runs.
    pub scale: f64,
}

impl Evaluator<'_> {
    /// Months the runs need: up to the latest target.
    pub fn months(&self) -> u32 {
        self.targets.iter().map(|t| t.month as u32).max().unwrap_or(1).max(1)
    }

    /// The overrides for a candidate at a scale, running `months` months.
    pub fn overrides(&self, theta: &[f64], scale: f64, months: u32) -> Vec<String> {
        let mut o = self.base.clone();
        o.push(format!("model.months={months}"));
        o.push(format!("model.population_scale={scale}"));
        o.extend(self.free.iter().zip(theta).map(|(p, &x)| p.override_for(x)));
        o
    }

    /// Runs the model and returns the records.
    pub fn run(
        &self,
        theta: &[f64],
        seed: u64,
        scale: f64,
        months: u32,
    ) -> Result<(Arc<Rules>, Vec<MonthRecord>), ConfigError> {
        run_records(self.config, &self.overrides(theta, scale, months), seed)
    }

    /// Simulated values of every target (NaN where undefined).
    pub fn simulate(&self, theta: &[f64], seed: u64, scale: f64) -> Result<Vec<f64>, ConfigError> {
        let (rules, records) = self.run(theta, seed, scale, self.months())?;
        Ok(target_values(&rules, &records, self.targets))
    }

    /// Distance of a candidate (calibration scale, common seed): the
    /// weighted root-mean-square of standardised errors. A candidate the
    /// config rejects, or with an undefined value, is infinitely far.
    pub fn distance(&self, theta: &[f64], seed: u64) -> f64 {
        match self.simulate(theta, seed, self.scale) {
            Ok(sim) => distance(self.targets, &sim),
            Err(_) => f64::INFINITY,
        }
    }
}

/// Runs a config with overrides for its configured months.
pub fn run_records(
    config: &ConfigSource,
    overrides: &[String],
    seed: u64,
) -> Result<(Arc<Rules>, Vec<MonthRecord>), ConfigError> {
    let rules = Arc::new(load_rules(config, overrides)?);
    let mut sim = Simulation::new(rules.clone(), seed, None);
    for _ in 0..rules.months {
        sim.step_month();
    }
    Ok((rules, sim.take_history().records))
}

/// The simulated value of each target.
pub fn target_values(rules: &Rules, records: &[MonthRecord], targets: &[Target]) -> Vec<f64> {
    targets
        .iter()
        .map(|t| t.series.value(rules, records, t.month, t.grain).unwrap_or(f64::NAN))
        .collect()
}

/// Weighted RMS of (simulated - observed) / se.
pub fn distance(targets: &[Target], sim: &[f64]) -> f64 {
    let mut num = 0.0;
    let mut den = 0.0;
    for (t, &s) in targets.iter().zip(sim) {
        if !s.is_finite() {
            return f64::INFINITY;
        }
        let z = (s - t.value) / t.se;
        num += t.weight * z * z;
        den += t.weight;
    }
    if den > 0.0 { (num / den).sqrt() } else { 0.0 }
}
