//! MPI jobs (a build with `--features mpi`, run by `.ci/run` with Open
//! MPI): two ranks write the tables of one; a job stopped part-way resumes
//! on another number of ranks to the same tables; a failing rank fails the
//! job with its message instead of hanging it.
#![cfg(feature = "mpi")]

mod common;
use common::{SMALL_FREE, SMALL_TARGETS, fixture, ok, same_files, stop_after_units, tempdir};

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `mpirun -np N careersim ARGS` (as root in CI, more ranks than cores).
fn mpirun_command(np: usize, args: &[&str]) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["--allow-run-as-root", "--oversubscribe", "-np", &np.to_string()])
        .arg(env!("CARGO_BIN_EXE_careersim"))
        .args(args);
    c
}

/// Runs it to the end, failing the test (and killing the job) if it takes
/// more than `limit`: a hung job is a failure, not a wait.
fn mpirun(np: usize, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let mut c = Command::new("mpirun");
    c.args(["--allow-run-as-root", "--oversubscribe", "-np", &np.to_string()]);
    for (k, v) in env {
        c.env(k, v).args(["-x", k]);
    }
    c.arg(env!("CARGO_BIN_EXE_careersim")).args(args);
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun runs");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(o) => o.expect("mpirun output"),
        Err(_) => {
            // SAFETY: killing our own child process.
            unsafe { libc::kill(id as i32, libc::SIGKILL) };
            panic!("mpirun -np {np} {args:?} hung for more than {limit:?}");
        }
    }
}

const LEVER: &str =
    "name = \"leave_more\"\n[[lever]]\nfrom = \"2021-06\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = 1.5 }\n";
const LIMIT: Duration = Duration::from_secs(300);

#[test]
fn two_ranks_write_the_tables_of_one() {
    let dir = tempdir();
    let d = dir.path();
    let cfg = fixture("valid_small.toml");
    std::fs::write(d.join("lever.toml"), LEVER).unwrap();
    std::fs::write(d.join("t.csv"), SMALL_TARGETS).unwrap();
    std::fs::write(d.join("free.toml"), SMALL_FREE).unwrap();
    let p = |x: &str| d.join(x).to_str().unwrap().to_string();
    let (cfg, lever, t, f) = (cfg.to_str().unwrap(), p("lever.toml"), p("t.csv"), p("free.toml"));
    for np in [1, 2] {
        let out = p(&format!("scen{np}"));
        ok(&mpirun(
            np,
            &[
                "scenarios",
                cfg,
                &lever,
                "--replicates",
                "3",
                "--threads",
                "1",
                "--quiet",
                "--out",
                &out,
            ],
            &[],
            LIMIT,
        ));
        let out = p(&format!("cal{np}"));
        ok(&mpirun(
            np,
            &[
                "calibrate",
                cfg,
                "--targets",
                &t,
                "--free",
                &f,
                "--particles",
                "6",
                "--generations",
                "2",
                "--budget",
                "30",
                "--fit-replicates",
                "3",
                "--threads",
                "1",
                "--quiet",
                "--out",
                &out,
            ],
            &[],
            LIMIT,
        ));
        let out = p(&format!("hc{np}"));
        ok(&mpirun(
            np,
            &[
                "hindcast",
                cfg,
                "--observed",
                &t,
                "--from",
                "2020-06",
                "--until",
                "2021-06",
                "--replicates",
                "5",
                "--threads",
                "1",
                "--quiet",
                "--out",
                &out,
            ],
            &[],
            LIMIT,
        ));
    }
    same_files(
        &d.join("scen1"),
        &d.join("scen2"),
        &["runs.csv", "summary.csv", "difference.csv"],
    );
    same_files(
        &d.join("cal1"),
        &d.join("cal2"),
        &["posterior.csv", "parameters.csv", "fit.csv", "fit_by_family.csv"],
    );
    same_files(
        &d.join("hc1"),
        &d.join("hc2"),
        &["hindcast.csv", "hindcast_by_family.csv"],
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("cal2/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["mpi_ranks"], 2);
}

/// A two-rank calibration stopped by SIGTERM to mpirun part-way resumes —
/// on one rank — to the tables of a run never stopped.
#[test]
fn a_two_rank_calibration_stopped_part_way_resumes_on_one_rank() {
    let dir = tempdir();
    let d = dir.path();
    let cfg = fixture("valid_small.toml");
    std::fs::write(d.join("t.csv"), SMALL_TARGETS).unwrap();
    std::fs::write(d.join("free.toml"), SMALL_FREE).unwrap();
    let p = |x: &str| d.join(x).to_str().unwrap().to_string();
    let (t, f) = (p("t.csv"), p("free.toml"));
    let args = |out: &str| -> Vec<String> {
        [
            "calibrate",
            cfg.to_str().unwrap(),
            "--targets",
            &t,
            "--free",
            &f,
            "--particles",
            "8",
            "--generations",
            "3",
            "--budget",
            "60",
            "--fit-replicates",
            "2",
            "--threads",
            "1",
            "--quiet",
            "--out",
            out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let whole = args(&p("whole"));
    ok(&mpirun(
        1,
        &whole.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
        LIMIT,
    ));
    let stopped = args(&p("stopped"));
    let ck = d.join("stopped.checkpoint");
    let done = stop_after_units(
        &mut mpirun_command(2, &stopped.iter().map(String::as_str).collect::<Vec<_>>()),
        &ck,
        16,
        LIMIT,
    );
    assert!(!d.join("stopped").exists(), "no result from a stopped job");
    let mut resumed = stopped.clone();
    resumed.push("--resume".into());
    let o = mpirun(1, &resumed.iter().map(String::as_str).collect::<Vec<_>>(), &[], LIMIT);
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(&format!("{done} taken from the checkpoint")), "{out}");
    same_files(
        &d.join("whole"),
        &d.join("stopped"),
        &["posterior.csv", "parameters.csv", "fit.csv", "fit_by_family.csv"],
    );
}

/// A rank that fails stops the whole job, with that rank's message, well
/// before the time limit.
#[test]
fn a_failing_rank_fails_the_job_with_its_message() {
    let dir = tempdir();
    let d = dir.path();
    let cfg = fixture("valid_small.toml");
    std::fs::write(d.join("lever.toml"), LEVER).unwrap();
    let out = d.join("out");
    let t0 = Instant::now();
    let o = mpirun(
        2,
        &[
            "scenarios",
            cfg.to_str().unwrap(),
            d.join("lever.toml").to_str().unwrap(),
            "--replicates",
            "4",
            "--threads",
            "1",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("CAREERSIM_FAULT_RANK", "1")],
        Duration::from_secs(120),
    );
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("rank 1 of 2") && e.contains("failing on purpose"), "{e}");
    assert!(!out.exists(), "no result");
    assert!(t0.elapsed() < Duration::from_secs(120));
}
