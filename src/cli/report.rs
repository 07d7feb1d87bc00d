//! Plots (SVG, PNG), Parquet tables and report.html of a scenario ensemble.

use anyhow::Result;

use careersim::ensemble::{EnsembleSpec, Reported, Row, RunValues};
use careersim::rules::Rules;

/// Extra output files (name, bytes).
pub fn render(
    _spec: &EnsembleSpec,
    _rules: &Rules,
    _summary: &[Row],
    _difference: &[Row],
    _runs: &[RunValues],
    _series: &[Reported],
) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(Vec::new())
}
