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
