//! careersim never loses a file the user owns: it replaces only results it
//! wrote, refuses every other existing path before running, and leaves no
//! temporaries after an interrupt or a dead process.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{careersim, fixture, run_to, tempdir};

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn small() -> String {
    fixture("valid_small.toml").to_str().unwrap().to_string()
}

/// Runs `careersim run --quiet --months 1 SMALL --out OUT EXTRA...` in `cwd`
/// and returns (success, stderr).
fn run_in(cwd: &Path, out: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec![
        "run".to_string(),
        "--quiet".into(),
        "--months".into(),
        "1".into(),
        small(),
    ];
    args.extend(["--out".into(), out.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = Command::new(env!("CARGO_BIN_EXE_careersim"))
        .args(&args)
        .current_dir(cwd)
        .output()
        .unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_users_directory_or_file_is_refused_and_untouched() {
    let tmp = tempdir();
    let thesis = tmp.path().join("thesis");
    std::fs::create_dir_all(thesis.join("figures")).unwrap();
    std::fs::write(thesis.join("chapter1.tex"), "years of work").unwrap();
    let (ok, err) = run_in(tmp.path(), "thesis", &[]);
    assert!(!ok);
    assert!(
        err.contains("--out thesis") && err.contains("did not write") && err.contains("new --out path"),
        "{err}"
    );
    // --force does not change that: it is not a careersim result.
    let (ok, _) = run_in(tmp.path(), "thesis", &["--force"]);
    assert!(!ok);
    assert_eq!(
        std::fs::read_to_string(thesis.join("chapter1.tex")).unwrap(),
        "years of work"
    );
    assert_eq!(names(&thesis), ["chapter1.tex", "figures"]);

    std::fs::write(tmp.path().join("data.csv"), "mine").unwrap();
    let (ok, err) = run_in(tmp.path(), "data.csv", &["--force"]);
    assert!(!ok && err.contains("existing file"), "{err}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("data.csv")).unwrap(), "mine");
    // Nothing else was created beside them.
    assert_eq!(names(tmp.path()), ["data.csv", "thesis"]);
}

#[test]
fn the_working_directory_its_parents_and_the_configs_directory_are_refused() {
    let tmp = tempdir();
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("keep.txt"), "x").unwrap();
    let cfg = work.join("my.toml");
    std::fs::copy(fixture("valid_small.toml"), &cfg).unwrap();
    let abs = work.to_str().unwrap().to_string();
    for out in [".", "..", "./", &abs, "../work", "sub/../.."] {
        let (ok, err) = run_in(&work, out, &["--force"]);
        assert!(!ok, "--out {out} was accepted");
        assert!(err.contains("working directory"), "--out {out}: {err}");
    }
    // The directory holding the config, from elsewhere.
    let o = careersim(&[
        "run",
        "--quiet",
        "--months",
        "1",
        cfg.to_str().unwrap(),
        "--out",
        &abs,
        "--force",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("holds the input"), "{err}");
    assert_eq!(names(&work), ["keep.txt", "my.toml"]);
}

#[test]
fn a_result_is_replaced_whole_and_added_files_need_force() {
    let tmp = tempdir();
    let out = tmp.path().join("o");
    run_to(&out, &[&small(), "--months", "1"]);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let files = m["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f == "monthly.csv") && files.iter().any(|f| f == "manifest.json"));
    // Rerun: replaced without asking.
    run_to(&out, &[&small(), "--months", "2"]);
    assert!(
        std::fs::read_to_string(out.join("manifest.json"))
            .unwrap()
            .contains("\"months\": 2")
    );
    // A file the user put in it stops the replacement...
    std::fs::write(out.join("my_notes.md"), "notes").unwrap();
    let (ok, err) = run_in(tmp.path(), "o", &[]);
    assert!(!ok && err.contains("my_notes.md") && err.contains("--force"), "{err}");
    assert!(out.join("my_notes.md").exists());
    // ...unless forced.
    let (ok, err) = run_in(tmp.path(), "o", &["--force"]);
    assert!(ok, "{err}");
    assert!(!out.join("my_notes.md").exists());
    assert_eq!(names(tmp.path()), ["o"], "temporaries left behind");
}

#[test]
fn an_unwritable_destination_fails_before_running() {
    // CI runs as root, which ignores directory permissions: a path below a
    // file cannot be created by anyone.
    let tmp = tempdir();
    std::fs::write(tmp.path().join("f"), "x").unwrap();
    let t0 = Instant::now();
    let (ok, err) = run_in(tmp.path(), "f/sub/out", &[]);
    assert!(!ok && err.contains("f/sub"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(30));
}

#[test]
fn temporaries_of_a_dead_process_are_removed_by_the_next_run() {
    let tmp = tempdir();
    let stale = tmp.path().join(".o.tmp-4000000000");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join(".careersim"), "").unwrap();
    std::fs::write(stale.join("monthly.csv"), "a large half-written file").unwrap();
    // A hidden directory that is not careersim's staging is kept.
    let other = tmp.path().join(".o.tmp-4000000001");
    std::fs::create_dir_all(&other).unwrap();
    let (ok, err) = run_in(tmp.path(), "o", &[]);
    assert!(ok, "{err}");
    assert!(err.is_empty() || err.contains("removed"), "{err}");
    assert_eq!(names(tmp.path()), [".o.tmp-4000000001", "o"]);
}

fn interrupt_during_run(sig: &str, code: i32) {
    let tmp = tempdir();
    let out = tmp.path().join("o");
    // A previous result that must survive the interrupted run.
    run_to(&out, &[&small(), "--months", "1"]);
    let before = std::fs::read(out.join("monthly.csv")).unwrap();
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/bench/career_lite.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_careersim"))
        .args([
            "run",
            "--quiet",
            cfg.to_str().unwrap(),
            "--agents",
            "200000",
            "--months",
            "1000",
        ])
        .args(["--out", out.to_str().unwrap(), "--threads", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the staging directory exists (the run has started).
    let t0 = Instant::now();
    while !names(tmp.path()).iter().any(|n| n.contains(".tmp-")) {
        assert!(t0.elapsed() < Duration::from_secs(60), "no staging directory appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let st = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(code), "{err}");
    assert!(
        err.contains("stopped by") && err.contains("temporary files removed"),
        "{err}"
    );
    assert_eq!(names(tmp.path()), ["o"], "temporaries left behind");
    assert_eq!(std::fs::read(out.join("monthly.csv")).unwrap(), before);
}

#[test]
fn sigint_stops_cleanly_and_keeps_the_old_result() {
    interrupt_during_run("-INT", 130);
}

#[test]
fn sigterm_stops_cleanly_and_keeps_the_old_result() {
    interrupt_during_run("-TERM", 143);
}

/// A full disk: a clear error naming the path, nothing left behind, an
/// earlier result unchanged. Needs a small tmpfs (root, as in CI); where
/// mounting is not permitted the test says so and checks nothing.
#[test]
fn a_full_disk_leaves_nothing_and_keeps_the_old_result() {
    let tmp = tempdir();
    let mnt = tmp.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=300k", "tmpfs", mnt.to_str().unwrap()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let out = mnt.join("o");
    run_to(&out, &[&small(), "--months", "1"]);
    let before = std::fs::read(out.join("monthly.csv")).unwrap();
    let o = careersim(&[
        "run",
        "--quiet",
        &small(),
        "--months",
        "240",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let left = names(&mnt);
    let after = std::fs::read(out.join("monthly.csv")).unwrap();
    let _ = Command::new("umount").arg(&mnt).status();
    assert!(!o.status.success());
    assert!(
        err.contains("No space left on device") && err.contains("unchanged"),
        "{err}"
    );
    assert_eq!(left, ["o"]);
    assert_eq!(after, before);
}
