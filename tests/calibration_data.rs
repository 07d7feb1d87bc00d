//! The shipped calibration data keep their promises: the 2018 calibration
//! is fitted to no outcome dated after 2018, its hold-out holds only later
//! figures, the current calibration's targets cover both, every target names
//! a source listed in `calibration/sources.csv`, and every free parameter and
//! shipped overlay applies to the embedded England config.

use std::collections::BTreeSet;
use std::path::Path;

use careersim::calendar::YearMonth;
use careersim::calibration::free::{parse_free, parse_params_overlay};
use careersim::calibration::targets::{Target, parse_targets};
use careersim::load::baseline_source;
use careersim::load_rules;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn targets(rel: &str) -> Vec<Target> {
    let rules = load_rules(&baseline_source(), &[]).unwrap();
    parse_targets(rel, &read(rel), &rules).unwrap_or_else(|e| panic!("{e}"))
}

/// Source URLs listed in `calibration/sources.csv` (the column after the title).
fn listed_sources() -> BTreeSet<String> {
    read("calibration/sources.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            l.split(',')
                .find(|f| f.starts_with("http"))
                .map(|u| u.trim().to_string())
        })
        .collect()
}

#[test]
fn the_2018_calibration_sees_no_outcome_dated_after_2018() {
    let cut = YearMonth { year: 2018, month: 12 };
    let fitted = targets("calibration/england_2018/targets.csv");
    let held = targets("calibration/england_2018/holdout_2019_2025.csv");
    let current = targets("calibration/england/targets.csv");
    assert!(
        fitted.iter().all(|t| t.date <= cut),
        "a fitted figure is dated after 2018-12"
    );
    assert!(held.iter().all(|t| t.date > cut));
    assert_eq!(
        fitted.len() + held.len(),
        current.len(),
        "the two halves make the whole"
    );
    let weighted = |v: &[Target]| v.iter().filter(|t| t.weight > 0.0).count();
    assert!(
        weighted(&current) >= 60,
        "at least 60 weighted targets: {}",
        weighted(&current)
    );
    assert!(weighted(&fitted) >= 30 && weighted(&held) >= 30);
}

#[test]
fn every_target_names_a_listed_source() {
    let listed = listed_sources();
    for file in [
        "calibration/england_2018/targets.csv",
        "calibration/england_2018/holdout_2019_2025.csv",
        "calibration/england/targets.csv",
    ] {
        for t in targets(file) {
            assert!(!t.source_title.is_empty(), "{file}:{}: no source title", t.line);
            let url = t.source_url.trim();
            let found =
                listed.contains(url) || listed.iter().any(|l| l.starts_with(url) || url.starts_with(l.as_str()));
            assert!(found, "{file}:{}: {url} is not in calibration/sources.csv", t.line);
        }
    }
}

#[test]
fn free_parameters_and_shipped_overlays_apply_to_the_england_config() {
    let src = baseline_source();
    let f2018 = parse_free("free.toml", &read("calibration/england_2018/free.toml"), &src).unwrap();
    let fnow = parse_free("free.toml", &read("calibration/england/free.toml"), &src).unwrap();
    // The 2018 calibration may fit a trend (its endpoint, identified by the
    // years before 2019) but no multiplier of one year after 2018.
    let year_specific_after_2018 = |path: &str| {
        path.contains("nurse_leaving.multiplier_by_year.")
            && path
                .rsplit('.')
                .next()
                .and_then(|y| y.parse::<i32>().ok())
                .is_some_and(|y| y > 2018)
    };
    assert!(f2018.iter().all(|p| !year_specific_after_2018(&p.path)));
    assert!(fnow.iter().any(|p| year_specific_after_2018(&p.path)));
    assert!(fnow.len() > f2018.len());
    // A path that addresses the wrong element shows as a config value far
    // outside the prior: every free parameter's config value lies within it.
    for p in f2018.iter().chain(&fnow) {
        assert!(
            (p.min..=p.max).contains(&p.config_value),
            "{}: config value {} outside the prior [{}, {}]",
            p.path,
            p.config_value,
            p.min,
            p.max
        );
    }
    for overlay in ["calibration/england_2018/best.toml", "calibration/england/best.toml"] {
        let o = parse_params_overlay(overlay, &read(overlay), &src).unwrap_or_else(|e| panic!("{e}"));
        load_rules(&src, &o).unwrap_or_else(|e| panic!("{overlay}: {e}"));
    }
}

/// Each shipped `best.toml` is the point estimate of the calibration whose
/// tables sit beside it: the same parameters, with the values of the `best`
/// column of `parameters.csv`, and `manifest.json`'s command is the one its
/// header names. (A best.toml left behind from an earlier run would make
/// `run` and every scenario use parameters the fit tables do not describe.)
#[test]
fn each_shipped_best_toml_is_the_point_estimate_of_its_own_calibration() {
    for cal in ["calibration/england_2018", "calibration/england"] {
        let best: toml::Table = read(&format!("{cal}/best.toml")).parse().unwrap();
        let table = read(&format!("{cal}/parameters.csv"));
        let mut header = table.lines().next().unwrap().split(',');
        let (Some(0), Some(col)) = (
            header.clone().position(|h| h == "parameter"),
            header.position(|h| h == "best"),
        ) else {
            panic!("{cal}/parameters.csv: no parameter and best columns")
        };
        let mut listed = 0;
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let (path, value) = (fields[0], fields[col].parse::<f64>().unwrap());
            let shipped = best
                .get(path)
                .and_then(|v| v.as_float())
                .unwrap_or_else(|| panic!("{cal}/best.toml has no {path}"));
            assert!(
                (shipped - value).abs() <= 1e-9 * value.abs().max(1.0),
                "{cal}: best.toml {path} = {shipped}, parameters.csv best = {value}"
            );
            listed += 1;
        }
        assert_eq!(
            listed,
            best.len(),
            "{cal}: best.toml and parameters.csv list different parameters"
        );
        let manifest = read(&format!("{cal}/manifest.json"));
        let out = manifest
            .split("\"--out\",")
            .nth(1)
            .and_then(|s| s.split('"').nth(1))
            .unwrap_or_else(|| panic!("{cal}/manifest.json: no --out in its command"));
        let best_text = read(&format!("{cal}/best.toml"));
        assert!(
            best_text.lines().take(3).any(|l| l.contains(&format!("--out {out} "))),
            "{cal}/best.toml's header does not name the run of manifest.json (--out {out})"
        );
    }
}
