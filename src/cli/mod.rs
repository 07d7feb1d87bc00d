//! Command-line helpers shared by the subcommands.

pub mod calibrate;
pub mod report;
pub mod scenarios;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use careersim::calendar::YearMonth;
use careersim::calibration::parse_params_overlay;
use careersim::config::ConfigSource;
use careersim::limits::{clip, human_bytes, parse_bytes};
use careersim::load::baseline_source;

/// The config at a path, or the embedded England baseline.
pub fn source(config: &Option<PathBuf>) -> Result<ConfigSource> {
    Ok(match config {
        Some(p) => ConfigSource::read(p)?,
        None => baseline_source(),
    })
}

/// A whole text file, with its path in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Overrides from a parameter overlay (`--params`) followed by `--set`s.
pub fn base_overrides(src: &ConfigSource, params: &Option<PathBuf>, set: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(p) = params {
        out.extend(parse_params_overlay(&p.display().to_string(), &read_text(p)?, src)?);
    }
    out.extend(set.iter().cloned());
    Ok(out)
}

/// A progress bar on stderr (hidden with `quiet`).
pub fn bar(quiet: bool, len: u64, what: &str) -> ProgressBar {
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}").expect("static template"),
    );
    pb.set_message(what.to_string());
    pb
}

/// Worker threads: the given number, or every core.
pub fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// A `YYYY-MM` argument, with the argument named in the error.
pub fn date_arg(arg: &str, s: &str) -> Result<YearMonth> {
    YearMonth::parse_checked(s).map_err(|m| anyhow::anyhow!("{arg} {}: {m}", clip(s)))
}

/// A count argument (replicates, particles, budget...): at least 1 and at
/// most `max` (one of the `careersim::limits` bounds).
pub fn count_arg(arg: &str, value: u64, max: u64) -> Result<()> {
    if value == 0 {
        bail!("{arg} 0: must be at least 1");
    }
    if value > max {
        bail!("{arg} {value}: must be at most {max}");
    }
    Ok(())
}

/// `--scale K`: a population scale (simulate 1 in k), 1 to
/// `careersim::limits::MAX_POPULATION_SCALE`.
pub fn scale_arg(k: f64) -> Result<()> {
    let max = careersim::limits::MAX_POPULATION_SCALE;
    if !(k.is_finite() && (1.0..=max).contains(&k)) {
        bail!(
            "--scale {}: must be a number >= 1 and at most {max:e} (simulate 1 in k)",
            careersim::limits::fmt_num(k)
        );
    }
    Ok(())
}

/// Bytes of memory available to new allocations (MemAvailable in
/// /proc/meminfo), if the system says.
fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// Refuses a run whose estimated peak memory (`careersim::limits::run_bytes`,
/// times the runs held at once, plus `limits::PROCESS_BYTES`) exceeds
/// `--max-memory` if given, else the machine's available memory. With
/// neither known, the run goes ahead.
pub fn check_memory(runs_bytes: u64, max_memory: Option<&str>) -> Result<()> {
    let estimate_bytes = runs_bytes.saturating_add(careersim::limits::PROCESS_BYTES);
    let (limit, what) = match max_memory {
        Some(s) => (
            parse_bytes(s).ok_or_else(|| {
                anyhow::anyhow!(
                    "--max-memory {}: expected a number of bytes with an optional suffix K, M, G or T (e.g. 8G)",
                    clip(s)
                )
            })?,
            "--max-memory",
        ),
        None => match mem_available() {
            Some(b) => (b, "available memory (MemAvailable in /proc/meminfo)"),
            None => return Ok(()),
        },
    };
    if estimate_bytes > limit {
        bail!(
            "this run needs about {} ({estimate_bytes} bytes, estimated) but the limit is {} ({limit} bytes, {what}); \
             lower the population (model.population_scale, --scale, --agents), the months or --threads, \
             or raise --max-memory if the machine can page",
            human_bytes(estimate_bytes),
            human_bytes(limit)
        );
    }
    Ok(())
}

/// `--agents N`: only for a lattice layout, at most
/// `careersim::limits::MAX_POPULATION`.
pub fn check_agents(rules: &careersim::rules::Rules, file: &str, agents: Option<u64>) -> Result<()> {
    let Some(n) = agents else { return Ok(()) };
    if !matches!(rules.initial, careersim::rules::Initial::Lattice(_)) {
        bail!(
            "--agents {n}: {file} builds its population from [[stock]] headcounts; --agents applies only to \
             `initial.layout = \"lattice\"` configs (scale a stocks config with model.population_scale)"
        );
    }
    let max = careersim::limits::MAX_POPULATION;
    if n > max {
        bail!("--agents {n}: at most {max} clinicians");
    }
    let peak = careersim::limits::peak_population(rules, Some(n));
    if peak > max {
        bail!("--agents {n}: with its joiners the run would hold up to {peak} clinicians; at most {max}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_check_compares_the_estimate_plus_the_process_with_the_limit() {
        let process = careersim::limits::PROCESS_BYTES;
        assert!(check_memory(0, Some("64M")).is_ok());
        assert!(check_memory((64 << 20) - process, Some("64M")).is_ok());
        let e = check_memory((64 << 20) - process + 1, Some("64M"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs about 64.0 MiB (67108865 bytes, estimated)"), "{e}");
        assert!(
            e.contains("the limit is 64.0 MiB (67108864 bytes, --max-memory)"),
            "{e}"
        );
        let e = check_memory(1, Some("64Q")).unwrap_err().to_string();
        assert!(e.starts_with("--max-memory 64Q: expected a number of bytes"), "{e}");
        // Without --max-memory the machine's available memory is the limit.
        assert!(check_memory(u64::MAX - process, None).is_err() || mem_available().is_none());
    }

    #[test]
    fn count_arguments_are_at_least_one_and_bounded() {
        assert!(count_arg("--draws", 1, 10).is_ok());
        assert!(count_arg("--draws", 10, 10).is_ok());
        assert_eq!(
            count_arg("--draws", 0, 10).unwrap_err().to_string(),
            "--draws 0: must be at least 1"
        );
        assert_eq!(
            count_arg("--draws", 11, 10).unwrap_err().to_string(),
            "--draws 11: must be at most 10"
        );
    }
}
