//! Long jobs from outside: snapshots saved on disk and branched by separate
//! commands, checkpoints that let a killed calibration or ensemble resume
//! to the same result, and the refusals that keep a user's files and a
//! foreign checkpoint or snapshot safe.

mod common;
use common::{SMALL_FREE, SMALL_TARGETS, careersim, err, fixture, ok, same_files, stop_after_units, tempdir, units_in};

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const LEVER: &str = "name = \"leave_more\"\n[[lever]]\nfrom = \"2021-06\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = 1.5, \"hazard.pause_uptake.monthly_prob\" = 2.0 }\n";

/// A present saved once (to May 2021) and branched by two separate
/// `scenarios` commands (on one and two threads) gives the tables of
/// `--branch-at 2021-06`; `run --from-snapshot` continues it to the run in
/// one go.
#[test]
fn a_saved_snapshot_is_branched_by_separate_commands_as_branch_at_does() {
    let dir = tempdir();
    let d = dir.path();
    let cfg = fixture("valid_small.toml");
    let cfg = cfg.to_str().unwrap();
    let lever = d.join("leave_more.toml");
    std::fs::write(&lever, LEVER).unwrap();
    let lever = lever.to_str().unwrap();
    let snap = d.join("present.snap");
    let snap = snap.to_str().unwrap();
    let p = |x: &str| d.join(x).to_str().unwrap().to_string();
    ok(&careersim(&[
        "run",
        cfg,
        "--seed",
        "1",
        "--until",
        "2021-05",
        "--save-snapshot",
        snap,
        "--quiet",
        "--out",
        &p("present"),
    ]));
    ok(&careersim(&[
        "scenarios",
        cfg,
        lever,
        "--replicates",
        "1",
        "--branch-at",
        "2021-06",
        "--quiet",
        "--out",
        &p("branch_at"),
    ]));
    for (out, threads) in [("job1", "1"), ("job2", "2")] {
        ok(&careersim(&[
            "scenarios",
            cfg,
            lever,
            "--replicates",
            "1",
            "--from-snapshot",
            snap,
            "--threads",
            threads,
            "--quiet",
            "--out",
            &p(out),
        ]));
    }
    let tables = ["runs.csv", "summary.csv", "difference.csv"];
    same_files(&d.join("branch_at"), &d.join("job1"), &tables);
    same_files(&d.join("branch_at"), &d.join("job2"), &tables);
    // Replicate 1 of a saved present shares its history but not its future.
    ok(&careersim(&[
        "scenarios",
        cfg,
        lever,
        "--replicates",
        "2",
        "--from-snapshot",
        snap,
        "--quiet",
        "--out",
        &p("two"),
    ]));
    let runs = std::fs::read_to_string(d.join("two/runs.csv")).unwrap();
    let value = |rep: &str, date: &str| {
        runs.lines()
            .find(|l| {
                l.starts_with(&format!("baseline,0,,{rep},")) && l.contains(",headcount.nurse,") && l.contains(date)
            })
            .unwrap_or_else(|| panic!("no row {rep} {date}"))
            .rsplit(',')
            .next()
            .unwrap()
            .to_string()
    };
    assert_ne!(value("0", "2023-01-31"), value("1", "2023-01-31"));
    // run: the whole run equals the saved part continued.
    ok(&careersim(&[
        "run",
        cfg,
        "--seed",
        "1",
        "--quiet",
        "--out",
        &p("whole"),
    ]));
    ok(&careersim(&[
        "run",
        cfg,
        "--from-snapshot",
        snap,
        "--quiet",
        "--out",
        &p("continued"),
    ]));
    same_files(
        &d.join("whole"),
        &d.join("continued"),
        &["monthly.csv", "flows.csv", "kpis.csv", "distributions.csv"],
    );
}

/// Truncated, damaged, foreign, other-version and non-snapshot files are
/// refused with the file and the reason; a user's file is never replaced.
#[test]
fn snapshot_files_that_cannot_be_used_are_refused_by_name() {
    let dir = tempdir();
    let d = dir.path();
    let cfg = fixture("valid_small.toml");
    let cfg = cfg.to_str().unwrap();
    let p = |x: &str| d.join(x).to_str().unwrap().to_string();
    // `run` to the end of 2020, saving the world to `snap`.
    let save = |snap: &str, out: &str| {
        careersim(&[
            "run",
            cfg,
            "--until",
            "2020-12",
            "--save-snapshot",
            &p(snap),
            "--quiet",
            "--out",
            &p(out),
        ])
    };
    ok(&save("s.snap", "r"));
    let good = std::fs::read(d.join("s.snap")).unwrap();
    std::fs::write(d.join("trunc.snap"), &good[..good.len() / 2]).unwrap();
    let mut bad = good.clone();
    bad[good.len() / 2] ^= 0x40;
    std::fs::write(d.join("bad.snap"), &bad).unwrap();
    let mut old = good.clone();
    old[8] = 4; // the format version, just after the magic
    std::fs::write(d.join("old.snap"), &old).unwrap();
    std::fs::write(d.join("notes.txt"), "a user's notes").unwrap();
    let from = |file: &str, extra: &[&str]| {
        let (f, out) = (p(file), p("out"));
        let mut a = vec!["run", cfg, "--quiet", "--out", &out, "--from-snapshot", &f];
        a.extend_from_slice(extra);
        err(&careersim(&a))
    };
    let e = from("trunc.snap", &[]);
    assert!(e.contains("trunc.snap") && e.contains("truncated or damaged"), "{e}");
    let e = from("bad.snap", &[]);
    assert!(e.contains("bad.snap") && e.contains("checksum"), "{e}");
    let e = from("old.snap", &[]);
    assert!(e.contains("old.snap") && e.contains("format version 4"), "{e}");
    let e = from("notes.txt", &[]);
    assert!(e.contains("notes.txt") && e.contains("not a careersim snapshot"), "{e}");
    let e = from("s.snap", &["--set", "hazard.nurse_leaving.annual_rate=0.2"]);
    assert!(e.contains("s.snap") && e.contains("made from config"), "{e}");
    let e = from("s.snap", &["--until", "2020-06"]);
    assert!(e.contains("ends at 2020-12"), "{e}");
    // Saving over a user's file, or over a snapshot without --force.
    let e = err(&save("notes.txt", "r2"));
    assert!(e.contains("notes.txt") && e.contains("not a careersim snapshot"), "{e}");
    assert_eq!(std::fs::read_to_string(d.join("notes.txt")).unwrap(), "a user's notes");
    let e = err(&save("s.snap", "r2"));
    assert!(e.contains("--force"), "{e}");
    // Inside the result it would go with the result when it is replaced.
    let e = err(&save("r/s.snap", "r"));
    assert!(e.contains("inside --out"), "{e}");
    assert!(
        !d.join("out").exists() && !d.join("r2").exists(),
        "no result from a refused command"
    );
}

fn calibrate_args(d: &Path, out: &str) -> Vec<String> {
    let cfg = fixture("valid_small.toml");
    [
        "calibrate",
        cfg.to_str().unwrap(),
        "--targets",
        d.join("t.csv").to_str().unwrap(),
        "--free",
        d.join("free.toml").to_str().unwrap(),
        "--particles",
        "8",
        "--generations",
        "3",
        "--budget",
        "48",
        "--fit-replicates",
        "2",
        "--threads",
        "2",
        "--quiet",
        "--out",
        d.join(out).to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The number in "(N units computed, M taken from the checkpoint)".
fn account(stdout: &str) -> (u64, u64) {
    let after = |key: &str| -> u64 {
        stdout
            .split(key)
            .next()
            .and_then(|s| s.rsplit(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let computed = after(" units computed");
    let resumed = if stdout.contains("taken from the checkpoint") {
        after(" taken from the checkpoint")
    } else {
        0
    };
    (computed, resumed)
}

/// A calibration stopped by SIGTERM part-way (as a scheduler pre-empts a
/// job) leaves no result and a checkpoint; the same command with --resume
/// computes only the units not in it and writes the tables of a run never
/// stopped. Another command cannot resume it, and without --resume it is
/// not silently discarded.
#[test]
fn a_calibration_killed_mid_way_resumes_to_the_same_result() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("t.csv"), SMALL_TARGETS).unwrap();
    std::fs::write(d.join("free.toml"), SMALL_FREE).unwrap();
    let args = calibrate_args(d, "whole");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = careersim(&args);
    ok(&o);
    let (total, none) = account(&String::from_utf8_lossy(&o.stdout));
    assert_eq!((total, none), (48 + 2, 0));
    assert!(!d.join("whole.checkpoint").exists(), "removed when done");

    let args = calibrate_args(d, "killed");
    let ck = d.join("killed.checkpoint");
    let done = stop_after_units(
        Command::new(env!("CARGO_BIN_EXE_careersim")).args(&args),
        &ck,
        12,
        Duration::from_secs(120),
    );
    assert!(!d.join("killed").exists(), "no result from a stopped run");
    assert!((12..total as usize).contains(&done), "{done} units in the checkpoint");

    // Without --resume: refused, the checkpoint kept.
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let e = err(&careersim(&a));
    assert!(e.contains("--resume") && e.contains("unfinished `calibrate`"), "{e}");
    assert_eq!(units_in(&ck), done);
    // Another job (another seed) cannot resume it.
    let mut other = args.clone();
    other.extend(["--seed".into(), "7".into(), "--resume".into()]);
    let a: Vec<&str> = other.iter().map(String::as_str).collect();
    let e = err(&careersim(&a));
    assert!(e.contains("another job") && e.contains("seed 1, not 7"), "{e}");
    // Another command neither.
    let cfg = fixture("valid_small.toml");
    let e = err(&careersim(&[
        "hindcast",
        cfg.to_str().unwrap(),
        "--observed",
        d.join("t.csv").to_str().unwrap(),
        "--from",
        "2020-06",
        "--until",
        "2021-06",
        "--replicates",
        "2",
        "--quiet",
        "--resume",
        "--out",
        d.join("killed").to_str().unwrap(),
    ]));
    assert!(e.contains("command `calibrate`, not `hindcast`"), "{e}");

    let mut resumed = args.clone();
    resumed.push("--resume".into());
    let a: Vec<&str> = resumed.iter().map(String::as_str).collect();
    let o = careersim(&a);
    ok(&o);
    let (computed, taken) = account(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(taken as usize, done, "every finished unit reused");
    assert_eq!(computed + taken, total, "only unfinished units computed");
    same_files(
        &d.join("whole"),
        &d.join("killed"),
        &[
            "posterior.csv",
            "parameters.csv",
            "fit.csv",
            "fit_by_family.csv",
            "fit.md",
        ],
    );
    assert!(!ck.exists(), "checkpoint removed once the result is written");
}

/// An ensemble stopped part-way resumes to the tables of one never
/// stopped (its units are the scenario runs); `--resume` with no
/// checkpoint starts from the beginning.
#[test]
fn an_ensemble_stopped_part_way_resumes_to_the_same_tables() {
    let dir = tempdir();
    let d = dir.path();
    let cfg = fixture("valid_small.toml");
    let lever = d.join("leave_more.toml");
    std::fs::write(&lever, LEVER).unwrap();
    let args = |out: &str| -> Vec<String> {
        [
            "scenarios",
            cfg.to_str().unwrap(),
            lever.to_str().unwrap(),
            "--replicates",
            "8",
            "--threads",
            "1",
            "--quiet",
            "--out",
            d.join(out).to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |a: &[String]| careersim(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let mut whole = args("whole");
    whole.push("--resume".into());
    let o = run(&whole);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no checkpoint"));
    assert_eq!(account(&String::from_utf8_lossy(&o.stdout)), (16, 0));

    let mut stopped = args("stopped");
    let ck = d.join("stopped.checkpoint");
    let done = stop_after_units(
        Command::new(env!("CARGO_BIN_EXE_careersim")).args(&stopped),
        &ck,
        3,
        Duration::from_secs(120),
    ) as u64;
    assert!((3..16).contains(&done), "{done}");
    stopped.push("--resume".into());
    let o = run(&stopped);
    ok(&o);
    assert_eq!(account(&String::from_utf8_lossy(&o.stdout)), (16 - done, done));
    same_files(
        &d.join("whole"),
        &d.join("stopped"),
        &["runs.csv", "summary.csv", "difference.csv"],
    );
}
