//! Integrated care systems: `[[ics]]` puts a second level of geography
//! under the `[[region]]`s, after the grade splits and before anything
//! else is compiled.
//!
//! The ICSs become the model's regions — the region a clinician carries,
//! the grain of every stock cell, intake and establishment — each with its
//! region's share times its own share of the region. Training posts stay
//! recruited by NHS England region, as HEE's local offices recruit them
//! (a scheme's `region_shares` are by `[[region]]`; its recruits keep their
//! ICS): split 42 ways, a specialty's few posts a round would always land
//! in the largest ICSs. The NHS England regions stay as groups of their ICSs
//! (`Rules::region_groups`): a series addressed `@london` sums London's
//! ICSs, one addressed `@north_central_london` is that ICS. Stocks, intakes
//! and posts are split by the same shares, so a region's totals are those
//! of a run without ICSs up to rounding; which clinician is where changes
//! (the draws are keyed by region), so outputs are not byte-identical to
//! one. A config without `[[ics]]` is unchanged.

use crate::config::{RawConfig, RawRegion};
use crate::error::ConfigError;
use crate::rules::Compiler;

use super::split;

/// Splits the regions into their ICSs; `None` when the config has none.
pub(crate) fn expand(c: &Compiler<'_>, raw: &RawConfig) -> Result<Option<RawConfig>, ConfigError> {
    if raw.ics.is_empty() {
        return Ok(None);
    }
    crate::rules::check_unique(c, "ics", &raw.ics.iter().map(|i| i.name.clone()).collect::<Vec<_>>())?;
    for i in &raw.ics {
        let k = |f: &str| format!("ics.{}.{f}", i.name);
        split::check_name(c, k("name"), &i.name, "ICS")?;
        if !raw.region.iter().any(|r| r.name == i.region) {
            return Err(c.err(k("region"), format!("\"{}\"", i.region), "unknown region"));
        }
        if raw.region.iter().any(|r| r.name == i.name) {
            return Err(c.err(
                k("name"),
                format!("\"{}\"", i.name),
                "an ICS is named apart from every region",
            ));
        }
        c.prob(&k("share"), i.share)?;
    }
    let mut regions = Vec::new();
    let mut groups = Vec::new();
    // Each region's ICSs, in the region's order, then the ICSs' order.
    for r in &raw.region {
        let of: Vec<_> = raw.ics.iter().filter(|i| i.region == r.name).collect();
        let Some(last) = of.last() else {
            return Err(c.err(
                format!("region.{}", r.name),
                format!("\"{}\"", r.name),
                "with `[[ics]]` configured, every region needs at least one ICS",
            ));
        };
        split::sum_is_one(
            c,
            format!("ics.{}.share", last.name),
            &of.iter().map(|i| (i.name.clone(), i.share)).collect::<Vec<_>>(),
        )?;
        let mut members = Vec::new();
        for i in of {
            members.push(regions.len());
            regions.push(RawRegion {
                name: i.name.clone(),
                share: r.share * i.share,
            });
        }
        groups.push((r.name.clone(), members));
    }
    let mut out = raw.clone();
    out.region = regions;
    out.region_groups = groups;
    out.ics = Vec::new();
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{invalid, tiny_raw};

    fn with(extra: &str) -> RawConfig {
        let mut raw = tiny_raw(extra);
        raw.region = vec![
            RawRegion {
                name: "north".into(),
                share: 0.4,
            },
            RawRegion {
                name: "south".into(),
                share: 0.6,
            },
        ];
        raw
    }

    const ICS: &str = r#"
[[ics]]
name = "tyne"
region = "north"
share = 0.25

[[ics]]
name = "solent"
region = "south"
share = 1.0

[[ics]]
name = "wear"
region = "north"
share = 0.75
"#;

    fn expand_raw(raw: &RawConfig) -> Result<Option<RawConfig>, ConfigError> {
        let c = Compiler {
            file: "ics.toml",
            raw,
            scale: 1.0,
        };
        expand(&c, raw)
    }

    #[test]
    fn icss_become_the_regions_grouped_by_their_region() {
        let out = expand_raw(&with(ICS)).unwrap().unwrap();
        let names: Vec<(&str, f64)> = out.region.iter().map(|r| (r.name.as_str(), r.share)).collect();
        assert_eq!(names, [("tyne", 0.1), ("wear", 0.30000000000000004), ("solent", 0.6)]);
        assert_eq!(
            out.region_groups,
            [("north".to_string(), vec![0, 1]), ("south".to_string(), vec![2])]
        );
        assert!(expand_raw(&with("")).unwrap().is_none());
    }

    #[test]
    fn bad_icss_are_named() {
        let bad = |text: &str| invalid(expand_raw(&with(text)));
        assert_eq!(bad(&ICS.replace("share = 0.75", "share = 0.7")).0, "ics.wear.share");
        assert_eq!(
            bad(&ICS.replace("region = \"south\"", "region = \"east\"")).0,
            "ics.solent.region"
        );
        assert_eq!(bad(&ICS.replace("\"solent\"", "\"Solent\"")).0, "ics.Solent.name");
        assert_eq!(
            bad(&ICS.replace("region = \"south\"", "region = \"north\"")).0,
            "ics.wear.share"
        );
        let (key, msg) = bad(&ICS.replace(
            "name = \"solent\"\nregion = \"south\"\nshare = 1.0",
            "name = \"x\"\nregion = \"north\"\nshare = 0.0",
        ));
        assert_eq!(key, "region.south");
        assert!(msg.contains("at least one ICS"), "{msg}");
    }
}
