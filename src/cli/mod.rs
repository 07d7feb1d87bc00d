//! Command-line helpers shared by the subcommands: inputs, parameters,
//! threads, progress, output destinations and interrupts.

pub mod calibrate;
pub mod job;
pub mod report;
pub mod scenarios;
pub mod snapshot_file;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use careersim::calendar::YearMonth;
use careersim::calibration::parse_params_overlay;
use careersim::config::ConfigSource;
use careersim::destination::{Destination, registry};
use careersim::limits::{clip, human_bytes, parse_bytes};
use careersim::load::{ENGLAND_CALIBRATION, ENGLAND_CALIBRATION_FILE, baseline_source};

/// The config at a path, or the embedded England baseline.
pub fn source(config: &Option<PathBuf>) -> Result<ConfigSource> {
    Ok(match config {
        Some(p) => ConfigSource::read(p)?,
        None => baseline_source(),
    })
}

/// A whole text file, with its path in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Overrides from a parameter overlay (`--params`) followed by `--set`s.
pub fn base_overrides(src: &ConfigSource, params: &Option<PathBuf>, set: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(p) = params {
        out.extend(parse_params_overlay(&p.display().to_string(), &read_text(p)?, src)?);
    }
    out.extend(set.iter().cloned());
    Ok(out)
}

/// Options shared by every command that runs the model and writes a result.
#[derive(clap::Args, Debug, Clone)]
pub struct RunControl {
    /// Worker threads (default: every core; 1 to 1024).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Replace a careersim result directory even if other files were put in it.
    #[arg(long)]
    pub force: bool,
    /// Refuse to start if the estimated memory of the runs held at once
    /// (threads x one run) exceeds this many bytes (suffixes K, M, G, T;
    /// default: the machine's available memory).
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// Which parameters a run of the England baseline uses.
pub struct Parameters {
    /// Overrides: the parameter overlay's, then the `--set`s.
    pub overrides: Vec<String>,
    /// For the screen and manifest.json: `calibrated (...)`, `uncalibrated
    /// (...)` or `parameters from FILE`.
    pub label: String,
}

/// The parameters of a run: `--params FILE` if given; otherwise, for the
/// embedded England baseline, the shipped calibration
/// (calibration/england/best.toml, embedded) unless `uncalibrated`; a
/// user's own config runs with its own values.
pub fn parameters(
    src: &ConfigSource,
    embedded_england: bool,
    params: &Option<PathBuf>,
    uncalibrated: bool,
    set: &[String],
) -> Result<Parameters> {
    if params.is_some() && uncalibrated {
        bail!("--params and --uncalibrated contradict each other: give one");
    }
    if params.is_some() || !embedded_england {
        let label = match params {
            Some(p) => format!("parameters from {}", p.display()),
            None => format!("the config's own values ({})", src.file),
        };
        return Ok(Parameters {
            overrides: base_overrides(src, params, set)?,
            label,
        });
    }
    if uncalibrated {
        return Ok(Parameters {
            overrides: set.to_vec(),
            label: "uncalibrated (the England config's own values; --uncalibrated)".into(),
        });
    }
    let mut overrides = parse_params_overlay(ENGLAND_CALIBRATION_FILE, ENGLAND_CALIBRATION, src)
        .context("the shipped England calibration does not fit the embedded config")?;
    overrides.extend(set.iter().cloned());
    Ok(Parameters {
        overrides,
        label: format!("calibrated ({ENGLAND_CALIBRATION_FILE}; --uncalibrated for the config's own values)"),
    })
}

/// The most worker threads any command accepts.
pub const MAX_THREADS: usize = 1024;

/// Worker threads: the given number, or every available core (shared by
/// the MPI ranks on this node). Zero or more than [`MAX_THREADS`] is
/// refused.
pub fn threads(t: Option<usize>) -> Result<usize> {
    match t {
        None => Ok(job::default_threads(&job::Ranks::current())),
        Some(0) => bail!("--threads 0: must be at least 1 (omit it to use every core)"),
        Some(n) if n > MAX_THREADS => bail!("--threads {n}: must be at most {MAX_THREADS}"),
        Some(n) => Ok(n),
    }
}

/// How often a plain progress line is printed when stderr is not a
/// terminal, in seconds, unless the environment variable
/// `CAREERSIM_PROGRESS_SECONDS` says otherwise.
const PLAIN_PROGRESS_SECONDS: f64 = 5.0;

fn plain_progress_every() -> Duration {
    std::env::var("CAREERSIM_PROGRESS_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map_or(Duration::from_secs_f64(PLAIN_PROGRESS_SECONDS), Duration::from_secs_f64)
}

/// Progress on stderr: a bar on a terminal; on anything else (a batch job's
/// log) a plain line every few seconds with the percentage and an ETA.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<Plain>,
    /// Units one tick stands for: the MPI ranks, on rank 0 (the only one
    /// that reports), which sees only its own share of the runs.
    weight: u64,
}

struct Plain {
    what: String,
    len: u64,
    done: AtomicU64,
    start: Instant,
    last: Mutex<Instant>,
    every: Duration,
}

impl Progress {
    /// `len` units of `what`; hidden with `quiet`.
    pub fn new(quiet: bool, len: u64, what: &str) -> Progress {
        let ranks = job::Ranks::current();
        let weight = ranks.size() as u64;
        if quiet || !ranks.is_root() {
            return Progress {
                bar: None,
                plain: None,
                weight,
            };
        }
        if std::io::stderr().is_terminal() {
            let pb = ProgressBar::new(len);
            pb.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg} (ETA {eta})")
                    .expect("static template"),
            );
            pb.set_message(what.to_string());
            return Progress {
                bar: Some(pb),
                plain: None,
                weight,
            };
        }
        let now = Instant::now();
        Progress {
            bar: None,
            plain: Some(Plain {
                what: what.into(),
                len: len.max(1),
                done: AtomicU64::new(0),
                start: now,
                last: Mutex::new(now),
                every: plain_progress_every(),
            }),
            weight,
        }
    }

    /// One more unit done (callable from worker threads).
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(self.weight);
        }
        if let Some(p) = &self.plain {
            let done = (p.done.fetch_add(self.weight, Ordering::Relaxed) + self.weight).min(p.len);
            let Ok(mut last) = p.last.try_lock() else {
                return;
            };
            if last.elapsed() >= p.every && done < p.len {
                *last = Instant::now();
                let el = p.start.elapsed().as_secs_f64();
                let eta = el * (p.len - done) as f64 / done as f64;
                eprintln!(
                    "careersim: {:.0}% ({done}/{} {}), {el:.0} s elapsed, ETA {eta:.0} s",
                    100.0 * done as f64 / p.len as f64,
                    p.len,
                    p.what
                );
            }
        }
    }

    /// Done: clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The output destination of a command, checked (and its staging reserved)
/// before anything runs. See `careersim::destination` for the rules.
pub fn destination(out: &Path, force: bool, inputs: &[Option<&Path>]) -> Result<Destination> {
    let inputs: Vec<&Path> = inputs.iter().flatten().copied().collect();
    let d = Destination::prepare(out, force, &inputs)?;
    for p in &d.removed_stale {
        eprintln!(
            "careersim: removed {}, left by a careersim process that has ended",
            p.display()
        );
    }
    Ok(d)
}

/// The signal that stopped the run, if any (0 = none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// SIGINT and SIGTERM (Ctrl-C, a scheduler's pre-emption) stop careersim
/// cleanly: a watcher thread removes this process's staging directories
/// (waiting for a commit in progress to finish, so a result is never torn),
/// says so and exits with 128 + the signal number.
pub fn handle_interrupts() {
    // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let sig = SIGNAL.load(Ordering::SeqCst);
            if sig != 0 {
                let mut staged = registry();
                for d in staged.drain(..) {
                    let _ = std::fs::remove_dir_all(&d);
                }
                let name = if sig == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
                eprintln!("\ncareersim: stopped by {name}; temporary files removed, no result written or changed");
                std::process::exit(128 + sig);
            }
        }
    });
}

/// A `YYYY-MM` argument, with the argument named in the error.
pub fn date_arg(arg: &str, s: &str) -> Result<YearMonth> {
    YearMonth::parse_checked(s).map_err(|m| anyhow::anyhow!("{arg} {}: {m}", clip(s)))
}

/// A count argument (replicates, particles, budget...): at least 1 and at
/// most `max` (one of the `careersim::limits` bounds).
pub fn count_arg(arg: &str, value: u64, max: u64) -> Result<()> {
    if value == 0 {
        bail!("{arg} 0: must be at least 1");
    }
    if value > max {
        bail!("{arg} {value}: must be at most {max}");
    }
    Ok(())
}

/// `--scale K`: a population scale (simulate 1 in k), 1 to
/// `careersim::limits::MAX_POPULATION_SCALE`.
pub fn scale_arg(k: f64) -> Result<()> {
    let max = careersim::limits::MAX_POPULATION_SCALE;
    if !(k.is_finite() && (1.0..=max).contains(&k)) {
        bail!(
            "--scale {}: must be a number >= 1 and at most {max:e} (simulate 1 in k)",
            careersim::limits::fmt_num(k)
        );
    }
    Ok(())
}

/// Bytes of memory available to new allocations (MemAvailable in
/// /proc/meminfo), if the system says.
fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// Refuses a run whose estimated peak memory (`careersim::limits::run_bytes`,
/// times the runs held at once, plus `limits::PROCESS_BYTES`) exceeds
/// `--max-memory` if given, else the machine's available memory. With
/// neither known, the run goes ahead.
pub fn check_memory(runs_bytes: u64, max_memory: Option<&str>) -> Result<()> {
    let estimate_bytes = runs_bytes.saturating_add(careersim::limits::PROCESS_BYTES);
    let (limit, what) = match max_memory {
        Some(s) => (
            parse_bytes(s).ok_or_else(|| {
                anyhow::anyhow!(
                    "--max-memory {}: expected a number of bytes with an optional suffix K, M, G or T (e.g. 8G)",
                    clip(s)
                )
            })?,
            "--max-memory",
        ),
        // MPI ranks on one node share its memory (`--max-memory` is per rank).
        None => match (mem_available(), job::local_ranks(&job::Ranks::current())) {
            (Some(b), 1) => (b, "available memory (MemAvailable in /proc/meminfo)"),
            (Some(b), n) => (
                b / n as u64,
                "available memory (MemAvailable in /proc/meminfo) shared by the MPI ranks on this node",
            ),
            (None, _) => return Ok(()),
        },
    };
    if estimate_bytes > limit {
        bail!(
            "this run needs about {} ({estimate_bytes} bytes, estimated) but the limit is {} ({limit} bytes, {what}); \
             lower the population (model.population_scale, --scale, --agents), the months or --threads, \
             or raise --max-memory if the machine can page",
            human_bytes(estimate_bytes),
            human_bytes(limit)
        );
    }
    Ok(())
}

/// A config's rules with its overrides, once `--agents` and the run's
/// memory estimate have been checked (before anything is allocated).
pub fn checked_rules(
    src: &ConfigSource,
    overrides: &[String],
    agents: Option<u64>,
    max_memory: Option<&str>,
) -> Result<std::sync::Arc<careersim::rules::Rules>> {
    let rules = careersim::load_rules(src, overrides)?;
    check_agents(&rules, &src.file, agents)?;
    check_memory(careersim::limits::run_bytes(&rules, agents), max_memory)?;
    Ok(std::sync::Arc::new(rules))
}

/// `--agents N`: only for a lattice layout, at most
/// `careersim::limits::MAX_POPULATION`.
pub fn check_agents(rules: &careersim::rules::Rules, file: &str, agents: Option<u64>) -> Result<()> {
    let Some(n) = agents else { return Ok(()) };
    if !matches!(rules.initial, careersim::rules::Initial::Lattice(_)) {
        bail!(
            "--agents {n}: {file} builds its population from [[stock]] headcounts; --agents applies only to \
             `initial.layout = \"lattice\"` configs (scale a stocks config with model.population_scale)"
        );
    }
    let max = careersim::limits::MAX_POPULATION;
    if n > max {
        bail!("--agents {n}: at most {max} clinicians");
    }
    let peak = careersim::limits::peak_population(rules, Some(n));
    if peak > max {
        bail!("--agents {n}: with its joiners the run would hold up to {peak} clinicians; at most {max}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_check_compares_the_estimate_plus_the_process_with_the_limit() {
        let process = careersim::limits::PROCESS_BYTES;
        assert!(check_memory(0, Some("64M")).is_ok());
        assert!(check_memory((64 << 20) - process, Some("64M")).is_ok());
        let e = check_memory((64 << 20) - process + 1, Some("64M"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs about 64.0 MiB (67108865 bytes, estimated)"), "{e}");
        assert!(
            e.contains("the limit is 64.0 MiB (67108864 bytes, --max-memory)"),
            "{e}"
        );
        let e = check_memory(1, Some("64Q")).unwrap_err().to_string();
        assert!(e.starts_with("--max-memory 64Q: expected a number of bytes"), "{e}");
        // Without --max-memory the machine's available memory is the limit.
        assert!(check_memory(u64::MAX - process, None).is_err() || mem_available().is_none());
    }

    #[test]
    fn count_arguments_are_at_least_one_and_bounded() {
        assert!(count_arg("--draws", 1, 10).is_ok());
        assert!(count_arg("--draws", 10, 10).is_ok());
        assert_eq!(
            count_arg("--draws", 0, 10).unwrap_err().to_string(),
            "--draws 0: must be at least 1"
        );
        assert_eq!(
            count_arg("--draws", 11, 10).unwrap_err().to_string(),
            "--draws 11: must be at most 10"
        );
    }
}
