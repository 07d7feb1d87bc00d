//! Command-line helpers shared by the subcommands.

pub mod calibrate;
pub mod report;
pub mod scenarios;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use careersim::calibration::parse_params_overlay;
use careersim::config::ConfigSource;
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
