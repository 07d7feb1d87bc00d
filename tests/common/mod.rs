//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test crate uses a subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of a fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Runs the real binary.
pub fn careersim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_careersim"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Runs `careersim run --quiet --out DIR ARGS...` and asserts it succeeded.
pub fn run_to(dir: &Path, extra: &[&str]) {
    let mut args = vec!["run", "--quiet", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = careersim(&args);
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Parses a CSV with a header into rows of strings.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().expect("header").split(',').map(String::from).collect();
    (
        header,
        lines.map(|l| l.split(',').map(String::from).collect()).collect(),
    )
}

/// Asserts that a command succeeded, showing its output if not.
pub fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Asserts that a command failed; returns its stderr.
pub fn err(o: &Output) -> String {
    assert!(!o.status.success(), "should have failed");
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Asserts that `files` are byte-identical in two result directories.
pub fn same_files(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

/// Finished units in a job's checkpoint directory (0 if there is none);
/// not a unit still being written (`.tmp-…`, renamed when complete).
pub fn units_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter(|e| {
                e.as_ref().is_ok_and(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.ends_with(".unit") && !name.starts_with('.')
                })
            })
            .count()
        })
        .unwrap_or(0)
}

/// Starts `cmd` (a long careersim job, or mpirun running one), waits until
/// its checkpoint `ck` holds at least `n` units, stops it with SIGTERM (as
/// a scheduler does) and returns the units the checkpoint then holds. Fails
/// if the job finishes first, makes no progress within `limit`, or exits
/// successfully after the signal.
pub fn stop_after_units(cmd: &mut Command, ck: &Path, n: usize, limit: std::time::Duration) -> usize {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the job starts");
    let t0 = std::time::Instant::now();
    while units_in(ck) < n {
        assert!(t0.elapsed() < limit, "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be stopped"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(
        !child.wait().unwrap().success(),
        "a stopped job must not report success"
    );
    units_in(ck)
}

/// A small calibration's targets for `fixture("valid_small.toml")`.
pub const SMALL_TARGETS: &str =
    "series,grain,year,month,value,se\nrate.leaver.nurse,year,2021,1,0.1,0.01\nheadcount.nurse,month,2021,6,5500,100\n";

/// Its free parameters.
pub const SMALL_FREE: &str = "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.02\nmax = 0.3\n\n[[param]]\npath = \"hazard.nurse_return.annual_rate\"\nmin = 0.01\nmax = 0.5\n";
