//! Calibration: synthetic recovery, command outputs, and refusal of bad
//! targets and free-parameter files with file, line and field.

mod common;

use careersim::calibration::abc::{AbcSettings, abc_smc};
use careersim::calibration::evaluate::{Evaluator, run_records};
use careersim::calibration::{parse_free, parse_targets};
use careersim::config::ConfigSource;
use careersim::series::{Grain, SeriesId};
use common::{careersim, fixture, tempdir};

fn small() -> ConfigSource {
    ConfigSource::read(&fixture("valid_small.toml")).unwrap()
}

const FREE: &str = "\
[[param]]
path = \"hazard.nurse_leaving.annual_rate\"
min = 0.02
max = 0.3

[[param]]
path = \"hazard.nurse_return.annual_rate\"
min = 0.01
max = 0.5
";

/// Known parameters generate the targets (seed 1001); ABC-SMC with another
/// seed (common random numbers across its candidates) must bracket them in
/// the 90% posterior interval.
#[test]
fn abc_smc_recovers_known_parameters_within_the_90_percent_interval() {
    let src = small();
    let truth = [0.12, 0.2];
    let sets: Vec<String> = vec![
        "model.months=24".into(),
        format!("hazard.nurse_leaving.annual_rate={}", truth[0]),
        format!("hazard.nurse_return.annual_rate={}", truth[1]),
    ];
    let (rules, records) = run_records(&src, &sets, 1001).unwrap();
    // Standard errors: about twice the Monte-Carlo error of each figure in a
    // population of ~6,000 nurses (binomial for the rate; 2% of stocks;
    // 8% of joiner counts).
    let mut csv = String::from("series,grain,year,month,value,se\n");
    for (series, grain, month, se) in [
        ("rate.leaver.nurse", Grain::Year, 12usize, None),
        ("rate.leaver.nurse", Grain::Year, 24, None),
        ("headcount.nurse", Grain::Year, 12, Some(0.02)),
        ("headcount.nurse", Grain::Year, 24, Some(0.02)),
        ("count.joiners.nurse", Grain::Year, 24, Some(0.08)),
    ] {
        let id = SeriesId::parse(&rules, series).unwrap();
        let v = id.value(&rules, &records, month, grain).unwrap();
        let se = se.map_or(2.0 * (v * (1.0 - v) / 6000.0).sqrt(), |r| r * v);
        let date = rules.start.plus(month as u32);
        csv.push_str(&format!("{series},year,{},{},{v},{se}\n", date.year, date.month));
    }
    let targets = parse_targets("synthetic.csv", &csv, &rules).unwrap();
    let free = parse_free("free.toml", FREE, &src).unwrap();
    let ev = Evaluator {
        config: &src,
        base: Vec::new(),
        free: &free,
        targets: &targets,
        scale: 1.0,
    };
    let settings = AbcSettings {
        particles: 40,
        generations: 3,
        budget: 400,
        seed: 7,
        quantile: 0.5,
    };
    let post = abc_smc(&ev, &settings, &careersim::work::Threads, &|| {}).unwrap();
    assert_eq!(post.particles.len(), 40, "the last generation is complete");
    assert!(
        post.tolerances.windows(2).all(|w| w[1] <= w[0]),
        "{:?}",
        post.tolerances
    );
    for (j, &t) in truth.iter().enumerate() {
        let (lo, hi) = (post.quantile(j, 0.05), post.quantile(j, 0.95));
        assert!(lo <= t && t <= hi, "{}: truth {t} outside [{lo}, {hi}]", free[j].path);
        // The data must have narrowed the prior, not just returned it.
        assert!(
            hi - lo < 0.8 * (free[j].max - free[j].min),
            "{}: [{lo}, {hi}]",
            free[j].path
        );
    }
    // Same seed, same posterior (whatever the thread count).
    let again = abc_smc(&ev, &settings, &careersim::work::Threads, &|| {}).unwrap();
    assert_eq!(again.particles, post.particles);
    assert_eq!(again.weights, post.weights);
}

#[test]
fn calibrate_writes_its_outputs_and_run_accepts_best_toml() {
    let dir = tempdir();
    let t = dir.path().join("targets.csv");
    std::fs::write(
        &t,
        "series,grain,year,month,value,se,source_title\nrate.leaver.nurse,year,2021,1,0.1,0.01,\"synthetic, test\"\nheadcount.nurse,month,2021,6,5500,100,\n",
    )
    .unwrap();
    let f = dir.path().join("free.toml");
    std::fs::write(&f, FREE).unwrap();
    let out = dir.path().join("cal");
    let cfg = fixture("valid_small.toml");
    let o = careersim(&[
        "calibrate",
        cfg.to_str().unwrap(),
        "--targets",
        t.to_str().unwrap(),
        "--free",
        f.to_str().unwrap(),
        "--method",
        "nelder-mead",
        "--budget",
        "12",
        "--fit-replicates",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "posterior.csv",
        "best.toml",
        "fit.csv",
        "fit_by_family.csv",
        "manifest.json",
    ] {
        assert!(out.join(name).exists(), "{name} missing");
    }
    let fit = std::fs::read_to_string(out.join("fit.csv")).unwrap();
    assert_eq!(fit.lines().count(), 3, "{fit}");
    assert!(fit.contains("\"synthetic, test\""));
    let run_dir = dir.path().join("run");
    let best = out.join("best.toml");
    common::run_to(
        &run_dir,
        &[
            cfg.to_str().unwrap(),
            "--params",
            best.to_str().unwrap(),
            "--months",
            "3",
        ],
    );
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("hazard.nurse_leaving.annual_rate="), "{manifest}");
}

fn calibrate_err(targets: &str, free: &str) -> String {
    let dir = tempdir();
    let t = dir.path().join("targets.csv");
    std::fs::write(&t, targets).unwrap();
    let f = dir.path().join("free.toml");
    std::fs::write(&f, free).unwrap();
    let cfg = fixture("valid_small.toml");
    let o = careersim(&[
        "calibrate",
        cfg.to_str().unwrap(),
        "--targets",
        t.to_str().unwrap(),
        "--free",
        f.to_str().unwrap(),
        "--quiet",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(!dir.path().join("out").exists(), "no half-written result");
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn bad_targets_and_free_parameters_are_refused_naming_file_line_and_field() {
    let head = "series,grain,year,month,value,se\nheadcount.nurse,year,2021,1,5000,100\n";
    let cases = [
        (
            format!("{head}fte.astronaut,year,2021,1,5000,100\n"),
            FREE.to_string(),
            "targets.csv:3: field `series`",
        ),
        (
            format!("{head}fte.nurse,year,2021,1,,100\n"),
            FREE.to_string(),
            "targets.csv:3: field `value`",
        ),
        (
            format!("{head}fte.nurse,year,2021,1,5000,-3\n"),
            FREE.to_string(),
            "targets.csv:3: field `se`",
        ),
        (
            head.to_string(),
            FREE.replace("nurse_return", "nurse_retrun"),
            "free.toml:7: field `path`",
        ),
        (
            head.to_string(),
            FREE.replace("min = 0.01", "min = 0.9"),
            "free.toml:9: field `max`",
        ),
    ];
    for (targets, free, expect) in cases {
        let e = calibrate_err(&targets, &free);
        assert!(e.contains(expect), "expected `{expect}` in: {e}");
    }
}
