//! The real binary: determinism across thread counts, config errors with
//! fixtures (valid, invalid, malformed, missing), atomic output.

mod common;
use common::*;

const RESULT_FILES: [&str; 4] = ["monthly.csv", "flows.csv", "kpis.csv", "distributions.csv"];

#[test]
fn outputs_are_byte_identical_for_one_and_two_threads() {
    let tmp = tempdir();
    let cfg = fixture("valid_small.toml");
    let (a, b) = (tmp.path().join("t1"), tmp.path().join("t2"));
    run_to(&a, &[cfg.to_str().unwrap(), "--threads", "1", "--seed", "7"]);
    run_to(&b, &[cfg.to_str().unwrap(), "--threads", "2", "--seed", "7"]);
    for f in RESULT_FILES {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x.len() > 100, "{f} is suspiciously small");
        assert!(x == y, "{f} differs between 1 and 2 threads");
    }
    // A different seed gives different results.
    let c = tmp.path().join("t3");
    run_to(&c, &[cfg.to_str().unwrap(), "--threads", "2", "--seed", "8"]);
    assert_ne!(
        std::fs::read(a.join("flows.csv")).unwrap(),
        std::fs::read(c.join("flows.csv")).unwrap()
    );
}

#[test]
fn baseline_runs_deterministically_across_threads() {
    let tmp = tempdir();
    let (a, b) = (tmp.path().join("b1"), tmp.path().join("b2"));
    run_to(&a, &["--months", "3", "--threads", "1"]);
    run_to(&b, &["--months", "3", "--threads", "2"]);
    for f in RESULT_FILES {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["months"], 3);
    assert_eq!(manifest["config_name"], "england_baseline");
    assert!(manifest["agent_months"].as_u64().unwrap() > 2_000_000);
}

#[test]
fn monthly_csv_starts_with_month_zero_and_has_documented_columns() {
    let tmp = tempdir();
    let dir = tmp.path().join("o");
    run_to(&dir, &[fixture("valid_small.toml").to_str().unwrap(), "--months", "2"]);
    let (h, rows) = read_csv(&dir.join("monthly.csv"));
    assert_eq!(
        h,
        ["month", "date", "group", "grade", "state", "region", "headcount", "fte"]
    );
    assert_eq!(rows[0][0], "0");
    assert_eq!(rows[0][1], "2020-01-31");
    let (h, _) = read_csv(&dir.join("flows.csv"));
    assert_eq!(
        h,
        [
            "month",
            "date",
            "group",
            "from_grade",
            "from_state",
            "from_region",
            "to_grade",
            "to_state",
            "to_region",
            "count"
        ]
    );
    // Month 0 headcount equals the configured stocks (11,800 incl. leavers).
    let month0: u64 = rows
        .iter()
        .filter(|r| r[0] == "0")
        .map(|r| r[6].parse::<u64>().unwrap())
        .sum();
    assert_eq!(month0, 10_200);
}

/// (fixture text edit, expected fragments of the error).
fn check_invalid(edit: impl Fn(&str) -> String, expect: &[&str]) {
    let tmp = tempdir();
    let text = std::fs::read_to_string(fixture("valid_small.toml")).unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, edit(&text)).unwrap();
    let out_dir = tmp.path().join("out");
    let out = careersim(&[
        "run",
        bad.to_str().unwrap(),
        "--quiet",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted a bad config");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(err.contains("bad.toml"), "error does not name the file: {err}");
    for e in expect {
        assert!(err.contains(e), "error lacks `{e}`: {err}");
    }
    assert!(!out_dir.exists(), "wrote output for a bad config");
    let v = careersim(&["validate", bad.to_str().unwrap()]);
    assert!(!v.status.success());
}

#[test]
fn invalid_configs_are_refused_naming_file_key_and_value() {
    check_invalid(
        |t| t.replace("monthly_prob = 0.005", "monthly_prob = 1.5"),
        &["hazard.student_attrition.monthly_prob", "1.5", "[0, 1]"],
    );
    check_invalid(
        |t| t.replace("monthly_prob = 0.005", "monthly_prob = -0.1"),
        &["student_attrition", "-0.1"],
    );
    check_invalid(
        |t| t.replace("monthly_prob = 0.02", "monthly_prob = 0.995"),
        &["pause_uptake", "ltft_uptake", "1.007", "sum past 1"],
    );
    check_invalid(
        |t| t.replace("duration_wte_months = 12", "duration_wte_months = 0"),
        &["grade.foundation.duration_wte_months", "0"],
    );
    check_invalid(
        |t| {
            t.replace(
                "group = \"nurse\"\nstate = \"qualified\"",
                "group = \"nurses\"\nstate = \"qualified\"",
            )
        },
        &["hazard.nurse_leaving.group", "nurses", "unknown group"],
    );
    check_invalid(
        |t| t.replace("name = \"south\"\nshare = 0.6", "name = \"south\"\nshare = 0.5"),
        &["region.share", "sum"],
    );
    check_invalid(
        |t| t.replace("{ 2019 = 300, 2020 = 300, 2021 = 350 }", "{ 2019 = 300, 2021 = 350 }"),
        &["inflow.med_intake.per_year", "gap after 2019"],
    );
    check_invalid(
        |t| t.replace("to = \"gone\"", "to = \"vanished\""),
        &["hazard.student_attrition.to", "vanished", "unknown state"],
    );
    check_invalid(
        |t| t.replace("months = 36\n", "months = 36\ncolour = \"blue\"\n"),
        &["unknown field", "colour"],
    );
    check_invalid(
        |t| t.replace("months = 36\n", "months = \"many\"\n"),
        &["months", "many"],
    );
    check_invalid(
        |t| t.replace("into_grade = \"specialty\"", "into_grade = \"med_student\""),
        &[
            "recruitment.specialty.into_grade",
            "med_student",
            "training or employed",
        ],
    );
}

#[test]
fn competing_hazards_past_one_name_every_hazard() {
    check_invalid(
        |t| {
            t.replace("name = \"nurse_leaving\"\ngroup = \"nurse\"\nstate = \"qualified\"\nto = \"leaver\"\nannual_rate = 0.1", "name = \"nurse_leaving\"\ngroup = \"nurse\"\nstate = \"qualified\"\nto = \"leaver\"\nmonthly_prob = 0.7\n\n[[hazard]]\nname = \"nurse_emigrating\"\ngroup = \"nurse\"\nstate = \"qualified\"\nto = \"gone\"\nmonthly_prob = 0.4")
        },
        &["nurse_leaving+nurse_emigrating", "1.1", "sum past 1"],
    );
}

#[test]
fn malformed_and_missing_files_give_clear_errors() {
    let tmp = tempdir();
    let bad = tmp.path().join("malformed.toml");
    std::fs::write(&bad, "[model\nname = ").unwrap();
    let out = careersim(&["validate", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("malformed.toml") && err.contains("line 1"),
        "{err}"
    );
    let out = careersim(&["validate", tmp.path().join("nope.toml").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("nope.toml") && err.contains("cannot read"),
        "{err}"
    );
    let out = careersim(&["validate", fixture("valid_small.toml").to_str().unwrap()]);
    assert!(out.status.success());
}

#[test]
fn set_overrides_change_the_run_and_bad_keys_are_refused() {
    let tmp = tempdir();
    let cfg = fixture("valid_small.toml");
    let a = tmp.path().join("a");
    run_to(
        &a,
        &[
            cfg.to_str().unwrap(),
            "--months",
            "12",
            "--set",
            "hazard.nurse_leaving.annual_rate=0.5",
        ],
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["overrides"][0], "hazard.nurse_leaving.annual_rate=0.5");
    let out = careersim(&[
        "run",
        cfg.to_str().unwrap(),
        "--quiet",
        "--set",
        "hazard.nobody.annual_rate=0.5",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("hazard.nobody.annual_rate") && err.contains("no element `nobody`"),
        "{err}"
    );
    let out = careersim(&[
        "run",
        cfg.to_str().unwrap(),
        "--quiet",
        "--set",
        "hazard.nurse_leaving.annual_rate=2",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("hazard.nurse_leaving.annual_rate") && err.contains("= 2"),
        "{err}"
    );
}

#[test]
fn career_lite_is_deterministic_across_threads_with_recycled_slots() {
    // career-lite has an inert leaver pool: leavers' slots are recycled for
    // joiners in an order that depends on the threads; results must not.
    let tmp = tempdir();
    let cfg = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/bench/career_lite.toml");
    let (a, b) = (tmp.path().join("c1"), tmp.path().join("c2"));
    let c = cfg.to_str().unwrap();
    run_to(&a, &[c, "--agents", "30000", "--months", "40", "--threads", "1"]);
    run_to(&b, &[c, "--agents", "30000", "--months", "40", "--threads", "2"]);
    for f in RESULT_FILES {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let bench = |t: &str| {
        let out = careersim(&[
            "bench",
            "--agents",
            "30000",
            "--months",
            "40",
            "--threads",
            t,
            "--at",
            "20,40",
        ]);
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // Leaving and retirement cannot halve the population in 40 months.
        assert!(v["agent_months"].as_u64().unwrap() > 30_000 * 40 / 2, "{v}");
        (v["counts"].clone(), v["agent_months"].clone())
    };
    assert_eq!(bench("1"), bench("2"));
}

#[test]
fn fixture_files_valid_invalid_malformed_missing() {
    let check = |name: &str, ok: bool, expect: &[&str]| {
        let out = careersim(&["validate", fixture(name).to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.success(), ok, "{name}: {text}");
        for e in expect {
            assert!(text.contains(e), "{name}: lacks `{e}`: {text}");
        }
    };
    check("valid_small.toml", true, &["valid", "12 hazards"]);
    check(
        "invalid_probability.toml",
        false,
        &["invalid_probability.toml", "hazard.nurse_leaving.annual_rate", "1.2"],
    );
    check("malformed.toml", false, &["malformed.toml", "line 3"]);
    check("missing.toml", false, &["missing.toml", "cannot read"]);
}

/// With no command careersim runs the England baseline with the shipped
/// calibration, says so on screen and in manifest.json, and uses every core;
/// `--uncalibrated` runs the config's own values.
#[test]
fn no_command_runs_the_calibrated_england_model_on_every_core() {
    let tmp = tempdir();
    let (cal, uncal) = (tmp.path().join("cal"), tmp.path().join("uncal"));
    let o = careersim(&["--months", "1", "--out", cal.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("parameters: calibrated"), "{err}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cal.join("manifest.json")).unwrap()).unwrap();
    assert!(m["parameters"].as_str().unwrap().starts_with("calibrated"), "{m}");
    let overrides: Vec<&str> = m["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let shipped =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("calibration/england/best.toml"))
            .unwrap();
    let keys: Vec<&str> = shipped
        .lines()
        .filter(|l| l.starts_with('"'))
        .map(|l| l.split('"').nth(1).unwrap())
        .collect();
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(
            overrides.iter().any(|o| o.starts_with(&format!("{k}="))),
            "{k} not applied: {overrides:?}"
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(m["threads"].as_u64(), Some(cores as u64));

    let o = careersim(&[
        "run",
        "--quiet",
        "--uncalibrated",
        "--months",
        "1",
        "--out",
        uncal.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(uncal.join("manifest.json")).unwrap()).unwrap();
    assert!(m["parameters"].as_str().unwrap().starts_with("uncalibrated"), "{m}");
    let overrides = m["overrides"].as_array().unwrap();
    assert!(
        keys.iter()
            .all(|k| !overrides.iter().any(|o| o.as_str().unwrap().starts_with(k))),
        "{m}"
    );
    // The calibration changes the model: month-1 stocks differ.
    assert_ne!(
        std::fs::read(cal.join("monthly.csv")).unwrap(),
        std::fs::read(uncal.join("monthly.csv")).unwrap()
    );
    // Contradictory parameter choices are refused.
    let o = careersim(&[
        "run",
        "--uncalibrated",
        "--params",
        "x.toml",
        "--out",
        tmp.path().join("x").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("contradict"));
}

/// Without a terminal (a batch job's log) progress is a plain line every
/// few seconds with the percentage and an ETA, not an invisible bar.
#[test]
fn progress_without_a_terminal_is_plain_lines() {
    let tmp = tempdir();
    let cfg = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/bench/career_lite.toml");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_careersim"))
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--agents",
            "1000",
            "--months",
            "40",
            "--out",
        ])
        .arg(tmp.path().join("o"))
        .env("CAREERSIM_PROGRESS_SECONDS", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("% (")).collect();
    assert_eq!(lines.len(), 39, "{err}");
    assert!(
        lines[19].starts_with("careersim: 50% (20/40 months)") && lines[19].contains("ETA"),
        "{}",
        lines[19]
    );
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "terminal control codes in a log: {err:?}"
    );
}
