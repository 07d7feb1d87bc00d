//! The frame of a run: `[model]` (start, length, name) and `[[region]]`.
//! The mechanisms' own sections are compiled beside their rules, in
//! `crate::mechanisms`; the order of all sections is in `Compiler::compile`.

use crate::calendar::YearMonth;
use crate::config::{RawModel, RawRegion};
use crate::error::ConfigError;
use crate::limits::MAX_MONTHS;

use super::{Compiler, check_unique};

/// Validates `[model]` (start, months, name); returns month 0.
pub(crate) fn model(c: &Compiler<'_>, model: &RawModel) -> Result<YearMonth, ConfigError> {
    let start =
        YearMonth::parse_checked(&model.start).map_err(|m| c.err("model.start", format!("\"{}\"", model.start), m))?;
    if model.months == 0 || model.months > MAX_MONTHS {
        return Err(c.err(
            "model.months",
            model.months,
            format!("must be 1..={MAX_MONTHS} (at most 100 years)"),
        ));
    }
    if model.name.is_empty()
        || !model
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(c.err(
            "model.name",
            format!("\"{}\"", model.name),
            "use letters, digits, _ and -",
        ));
    }
    Ok(start)
}

/// Validates and compiles `[[region]]`: names and population shares.
pub(crate) fn regions(c: &Compiler<'_>, region: &[RawRegion]) -> Result<(Vec<String>, Vec<f64>), ConfigError> {
    if region.is_empty() || region.len() > 255 {
        return Err(c.err("region", region.len(), "need 1-255 regions"));
    }
    let regions: Vec<String> = region.iter().map(|r| r.name.clone()).collect();
    check_unique(c, "region", &regions)?;
    let region_shares = c.shares(
        "region.share",
        &region.iter().map(|r| r.share).collect::<Vec<_>>(),
        regions.len(),
    )?;
    Ok((regions, region_shares))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    #[test]
    fn model_and_regions_are_checked() {
        let raw = tiny_raw("");
        let c = compiler(&raw, 1.0);
        assert_eq!(
            model(&c, &raw.model).unwrap(),
            YearMonth::parse_checked("2020-08").unwrap()
        );
        let mut m = raw.model.clone();
        m.name = "a b".into();
        assert_eq!(invalid(model(&c, &m)).0, "model.name");
        let (names, shares) = regions(&c, &raw.region).unwrap();
        assert_eq!((names, shares), (vec!["england".to_string()], vec![1.0]));
        let mut two = raw.region.clone();
        two.push(raw.region[0].clone());
        assert_eq!(
            invalid(regions(&c, &two)),
            ("region.name".into(), "duplicate name".into())
        );
    }
}
