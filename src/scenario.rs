//! Policy scenarios: overlays on a baseline with levers that take effect at
//! a date, and the run that applies them.
//!
//! A scenario file is TOML:
//!
//! ```toml
//! name = "oop_pause_off"
//! description = "What if OOP Pause had never existed?"
//! policy = "HEE OOP Pause, piloted 2019, national from 2021"
//!
//! [[lever]]
//! from = "2016-08"                         # takes effect in this month
//! set = { "pause.enabled" = false }        # config paths, as --set
//! scale = { "hazard.nurse_leaving.annual_rate" = 0.8 }   # x the baseline value
//! ```
//!
//! `scale` multiplies the baseline's value; on a yearly series (a table of
//! years) it multiplies every year. Levers accumulate: from each lever's
//! month on, every lever that has started applies. Before the first lever
//! the scenario is the baseline, draw for draw (common random numbers).

use std::sync::Arc;

use serde::Deserialize;

use crate::calendar::YearMonth;
use crate::config::{ConfigSource, apply_override, get_path, parse_tree};
use crate::error::InputError;
use crate::load::load_rules;
use crate::rules::Rules;
use crate::schedule::{History, Simulation};
use crate::snapshot::Snapshot;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    lever: Vec<RawLever>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLever {
    from: String,
    #[serde(default)]
    set: toml::Table,
    #[serde(default)]
    scale: toml::Table,
}

/// A lever: config changes from a month on.
#[derive(Clone, Debug, PartialEq)]
pub struct Lever {
    /// First calendar month it applies to.
    pub from: YearMonth,
    /// `--set` overrides.
    pub sets: Vec<String>,
    /// Multipliers of the baseline's values (resolved per run, so they act
    /// on each parameter draw's own values).
    pub scales: Vec<(String, f64)>,
}

impl Lever {
    /// A readable list of the lever's changes.
    pub fn describe(&self) -> Vec<String> {
        let mut v = self.sets.clone();
        v.extend(self.scales.iter().map(|(p, f)| format!("{p} x {f}")));
        v
    }
}

/// `--set` overrides that multiply the number (or every year of the yearly
/// series) at `path` in `tree` by `f`; `None` if there is no number there.
fn resolve_scale(tree: &toml::Table, path: &str, f: f64) -> Option<Vec<String>> {
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|x| x as f64));
    match get_path(tree, path)? {
        toml::Value::Table(years) if !years.is_empty() && years.values().all(|v| number(v).is_some()) => Some(
            years
                .iter()
                .map(|(y, v)| format!("{path}.{y}={}", toml::Value::Float(number(v).unwrap_or(0.0) * f)))
                .collect(),
        ),
        v => number(v).map(|x| vec![format!("{path}={}", toml::Value::Float(x * f))]),
    }
}

/// A lever setting a year past the end of a yearly series (`path` is
/// `series.YEAR`): the years between hold the series' last value, as they do
/// in the baseline, so `{ 2015 = 0 }` plus a lever's `2024 = 2000` means 0
/// until 2023 and 2,000 from 2024. Years some lever sets are left alone.
fn hold_years(tree: &toml::Table, path: &str, explicit: &std::collections::BTreeSet<&str>) -> Vec<String> {
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|x| x as f64));
    let Some((parent, year)) = path.rsplit_once('.') else {
        return Vec::new();
    };
    let (Ok(year), Some(toml::Value::Table(t))) = (year.parse::<i32>(), get_path(tree, parent)) else {
        return Vec::new();
    };
    let Some((last, value)) = t
        .iter()
        .filter_map(|(y, v)| Some((y.parse::<i32>().ok()?, number(v)?)))
        .max_by_key(|p| p.0)
    else {
        return Vec::new();
    };
    (last + 1..year)
        .map(|y| format!("{parent}.{y}"))
        .filter(|p| !explicit.contains(p.as_str()))
        .map(|p| format!("{p}={}", toml::Value::Float(value)))
        .collect()
}

/// The config tree with the base overrides applied (what scales act on).
pub fn base_tree(config: &ConfigSource, base: &[String]) -> Result<toml::Table, crate::error::ConfigError> {
    let mut tree = parse_tree(config)?;
    for kv in base {
        apply_override(&mut tree, &config.file, kv)?;
    }
    Ok(tree)
}

/// A parsed scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Name (used in tables).
    pub name: String,
    /// What question it answers.
    pub description: String,
    /// The real policy it represents.
    pub policy: String,
    /// Levers, by start month.
    pub levers: Vec<Lever>,
}

impl Scenario {
    /// The baseline itself, as a scenario with no levers.
    pub fn baseline() -> Scenario {
        Scenario {
            name: "baseline".into(),
            description: "the baseline, unchanged".into(),
            policy: String::new(),
            levers: Vec::new(),
        }
    }

    /// The overrides in force in a calendar month; scales multiply the
    /// values in `tree` (the baseline with this run's base overrides).
    pub fn overrides_at(&self, date: YearMonth, tree: &toml::Table) -> Vec<String> {
        let mut out = Vec::new();
        for l in self.levers.iter().filter(|l| l.from <= date) {
            out.extend(l.sets.iter().cloned());
            for (path, f) in &l.scales {
                out.extend(resolve_scale(tree, path, *f).unwrap_or_default());
            }
        }
        out
    }

    /// First month a lever applies, if any.
    pub fn first_change(&self) -> Option<YearMonth> {
        self.levers.iter().map(|l| l.from).min()
    }
}

fn line_of(text: &str, key: &str) -> usize {
    text.lines().position(|l| l.contains(key)).map_or(1, |i| i + 1)
}

/// Parses a scenario file against a baseline config (with its base
/// overrides, e.g. calibrated parameters): every path must exist, scales
/// must be numbers, and the config with all levers applied must be valid.
pub fn parse_scenario(file: &str, text: &str, config: &ConfigSource, base: &[String]) -> Result<Scenario, InputError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| InputError::File {
        file: file.into(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let tree = base_tree(config, base)?;
    let bad = |key: &str, field: &str, value: String, message: String| InputError::Field {
        file: file.into(),
        line: line_of(text, key),
        field: field.into(),
        value,
        message,
    };
    // Every path some lever sets explicitly: gap years filled below never
    // override them.
    let explicit: std::collections::BTreeSet<&str> = raw
        .lever
        .iter()
        .flat_map(|l| l.set.keys().map(String::as_str))
        .collect();
    let mut levers = Vec::new();
    for (i, l) in raw.lever.iter().enumerate() {
        let from = YearMonth::parse_checked(&l.from)
            .map_err(|m| bad(&l.from, &format!("lever[{i}].from"), l.from.clone(), m))?;
        let mut sets = Vec::new();
        for (path, value) in &l.set {
            // A path must exist, or name a further year of a yearly series.
            let new_year = path.rsplit_once('.').is_some_and(|(parent, year)| {
                year.parse::<i32>().is_ok()
                    && matches!(get_path(&tree, parent), Some(toml::Value::Table(t))
                        if !t.is_empty() && t.keys().all(|k| k.parse::<i32>().is_ok()))
            });
            let kv = format!("{path}={value}");
            if get_path(&tree, path).is_none() && !new_year {
                // An optional key the config leaves out (e.g. a scheme's
                // `region_shares`) is fine if the config accepts it.
                let mut one = base.to_vec();
                one.push(kv.clone());
                if let Err(e) = load_rules(config, &one) {
                    return Err(bad(
                        path,
                        &format!("lever[{i}].set"),
                        path.clone(),
                        format!("no parameter at this path in {} ({e})", config.file),
                    ));
                }
            }
            if new_year {
                sets.extend(hold_years(&tree, path, &explicit));
            }
            sets.push(kv);
        }
        let mut scales = Vec::new();
        for (path, factor) in &l.scale {
            let f = factor.as_float().or_else(|| factor.as_integer().map(|x| x as f64));
            let Some(f) = f.filter(|f| f.is_finite() && *f >= 0.0) else {
                return Err(bad(
                    path,
                    &format!("lever[{i}].scale"),
                    factor.to_string(),
                    "a scale factor must be a number >= 0".into(),
                ));
            };
            if resolve_scale(&tree, path, f).is_none() {
                return Err(bad(
                    path,
                    &format!("lever[{i}].scale"),
                    path.clone(),
                    format!("no number or yearly series at this path in {}", config.file),
                ));
            }
            scales.push((path.clone(), f));
        }
        levers.push(Lever { from, sets, scales });
    }
    levers.sort_by_key(|l| l.from);
    let scenario = Scenario {
        name: raw.name,
        description: raw.description,
        policy: raw.policy,
        levers,
    };
    // Every lever in force at once must give a valid config (a lever on a
    // probability pushed past 1 is caught here, before anything runs).
    let mut all: Vec<String> = base.to_vec();
    if let Some(last) = scenario.levers.iter().map(|l| l.from).max() {
        all.extend(scenario.overrides_at(last, &tree));
    }
    if let Err(e) = load_rules(config, &all) {
        // Blame the first lever entry that is wrong on its own.
        for (i, l) in raw.lever.iter().enumerate() {
            let sets = l
                .set
                .iter()
                .map(|(p, v)| (p, v.to_string(), vec![format!("{p}={v}")], "set"));
            let scales = l.scale.iter().map(|(p, f)| {
                let x = f.as_float().or_else(|| f.as_integer().map(|x| x as f64)).unwrap_or(1.0);
                (
                    p,
                    f.to_string(),
                    resolve_scale(&tree, p, x).unwrap_or_default(),
                    "scale",
                )
            });
            for (path, value, overrides, kind) in sets.chain(scales) {
                let mut one = base.to_vec();
                one.extend(overrides);
                if let Err(e) = load_rules(config, &one) {
                    return Err(bad(
                        path,
                        &format!("lever[{i}].{kind}.{path}"),
                        value,
                        format!(
                            "the config {} is invalid with this lever: {}",
                            config.file,
                            e.without_file()
                        ),
                    ));
                }
            }
        }
        return Err(InputError::File {
            file: file.into(),
            message: format!("with every lever applied, the config is invalid: {e}"),
        });
    }
    Ok(scenario)
}

/// Errors while running a scenario.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A config (with levers) is invalid.
    #[error(transparent)]
    Config(#[from] crate::error::ConfigError),
    /// A snapshot cannot be used.
    #[error(transparent)]
    Snapshot(#[from] crate::error::SnapshotError),
    /// A unit of the ensemble failed, or its pool did.
    #[error(transparent)]
    Work(#[from] crate::work::WorkError),
    /// Lever rules cannot continue the run.
    #[error("scenario {scenario}: {source}")]
    Structure {
        /// Scenario name.
        scenario: String,
        /// Why.
        source: crate::error::StructureError,
    },
    /// A lever starts before the branch point, in the shared history.
    #[error(
        "scenario {scenario}: a lever starts {from}, before the branch point {branch}; branch earlier or start the lever later"
    )]
    BeforeBranch {
        /// Scenario name.
        scenario: String,
        /// Lever start.
        from: YearMonth,
        /// Branch month.
        branch: YearMonth,
    },
}

/// The baseline rules of an ensemble: the config with its base overrides,
/// run for `months`.
pub fn baseline_rules(config: &ConfigSource, base: &[String], months: u32) -> Result<Rules, crate::error::ConfigError> {
    let mut o = base.to_vec();
    o.push(format!("model.months={months}"));
    load_rules(config, &o)
}

/// Runs the shared history of a replicate up to `branch` months and returns
/// its snapshot bytes.
pub fn run_to_branch(rules: Arc<Rules>, seed: u64, branch: u32) -> Vec<u8> {
    let mut sim = Simulation::new(rules, seed, None);
    for _ in 0..branch {
        sim.step_month();
    }
    sim.snapshot().to_bytes()
}

/// Runs one scenario replicate to `rules.months`: from month 0, or from a
/// branch snapshot, continued with `seed` (the snapshot's own seed for a
/// `--branch-at` history; seed + r for replicate r of a saved snapshot).
/// Lever rules are switched in at their months.
pub fn run_scenario(
    config: &ConfigSource,
    base: &[String],
    rules: Arc<Rules>,
    scenario: &Scenario,
    seed: u64,
    branch: Option<&[u8]>,
) -> Result<History, RunError> {
    let mut sim = match branch {
        Some(bytes) => {
            let mut sim = Simulation::restore(rules.clone(), Snapshot::from_bytes(bytes)?)?;
            sim.reseed(seed);
            sim
        }
        None => Simulation::new(rules.clone(), seed, None),
    };
    let start = rules.start;
    if let (Some(first), true) = (scenario.first_change(), branch.is_some()) {
        // The snapshot holds the months up to the one before the branch month.
        let branch_month = start.plus(sim.month() + 1);
        if first < branch_month {
            return Err(RunError::BeforeBranch {
                scenario: scenario.name.clone(),
                from: first,
                branch: branch_month,
            });
        }
    }
    let tree = base_tree(config, base)?;
    let mut in_force: Vec<String> = Vec::new();
    for m in sim.month() + 1..=rules.months {
        let now = scenario.overrides_at(start.plus(m), &tree);
        if now != in_force {
            let mut o = base.to_vec();
            o.push(format!("model.months={}", rules.months));
            o.extend(now.iter().cloned());
            let r = Arc::new(load_rules(config, &o)?);
            sim.switch_rules(r).map_err(|source| RunError::Structure {
                scenario: scenario.name.clone(),
                source,
            })?;
            in_force = now;
        }
        sim.step_month();
    }
    Ok(sim.take_history())
}
