//! The careersim command line.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use careersim::config::ConfigSource;
use careersim::output::Manifest;
use careersim::{Simulation, load_rules};

mod cli;
use cli::{Progress, RunControl, parameters, source};

#[derive(Parser)]
#[command(
    name = "careersim",
    version,
    about = "Microsimulation of NHS England clinician careers",
    long_about = "Microsimulation of NHS England clinician careers.\n\n\
        With no command, runs the calibrated England model (`careersim run`) and \
        writes its tables, Parquet, plots and report.html.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no command: the options of `run`.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run a config (default: the embedded England baseline with the shipped
    /// calibration) and write tables, Parquet, plots and report.html.
    Run(RunArgs),
    /// Time the engine on a workload (default: the embedded career-lite) and
    /// print one JSON object.
    Bench(BenchArgs),
    /// Fit free parameters to published figures (ABC-SMC or Nelder-Mead).
    Calibrate(cli::calibrate::CalibrateArgs),
    /// Compare replicated runs with observed figures over a period.
    Hindcast(cli::calibrate::HindcastArgs),
    /// Run policy scenarios against a baseline with common random numbers.
    Scenarios(cli::scenarios::ScenariosArgs),
    /// Check a config without running it.
    Validate {
        /// Config file.
        config: PathBuf,
        /// Overrides, `key=value`.
        #[arg(long = "set")]
        set: Vec<String>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Config file (default: the embedded England baseline).
    config: Option<PathBuf>,
    /// Run seed (default: the config's).
    #[arg(long)]
    seed: Option<u64>,
    /// Start month YYYY-MM (overrides model.start).
    #[arg(long)]
    start: Option<String>,
    /// Months to simulate (overrides model.months).
    #[arg(long, conflicts_with = "until")]
    months: Option<u32>,
    /// Last month simulated, YYYY-MM (instead of --months).
    #[arg(long)]
    until: Option<String>,
    /// Save the world at the end of the run to FILE (a versioned,
    /// checksummed snapshot with its config hash and seed), to continue
    /// runs and scenarios from it with --from-snapshot. With --until, the
    /// calibrated present is computed once and branched by many jobs.
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
    /// Continue the run saved in FILE by --save-snapshot (same config,
    /// parameters, --set and scale) to the horizon or --until; with --seed,
    /// the months to come use that seed.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["start", "agents"])]
    from_snapshot: Option<PathBuf>,
    /// Output directory (default results/<config-name>-<seed>). careersim
    /// creates it, or replaces a result it wrote there before; any other
    /// existing path is refused.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Parameter overlay, e.g. a calibration's best.toml (applied before
    /// --set). The embedded England baseline uses the shipped calibration
    /// unless --params or --uncalibrated is given.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Run the England baseline with the config's own (uncalibrated) values.
    #[arg(long)]
    uncalibrated: bool,
    /// Override any config key: `--set hazard.nurse_leaving.annual_rate=0.08`.
    #[arg(long = "set")]
    set: Vec<String>,
    /// Lattice layouts only: number of initial agents.
    #[arg(long)]
    agents: Option<u64>,
    /// Threads, memory limit, replacing results, progress.
    #[command(flatten)]
    control: RunControl,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Config file (default: the embedded career-lite benchmark).
    config: Option<PathBuf>,
    /// Initial agents (lattice layouts).
    #[arg(long)]
    agents: Option<u64>,
    /// Months to step.
    #[arg(long, default_value_t = 120)]
    months: u32,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Months after which to report counts, e.g. `60,120` (default: the last).
    #[arg(long, value_delimiter = ',')]
    at: Vec<u32>,
    /// Overrides, `key=value`.
    #[arg(long = "set")]
    set: Vec<String>,
    /// Refuse the run if its estimated memory exceeds this many bytes
    /// (suffixes K, M, G, T; default: the machine's available memory).
    #[arg(long, value_name = "BYTES")]
    max_memory: Option<String>,
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn bench(args: BenchArgs) -> Result<()> {
    let threads = cli::threads(args.threads)?;
    if args.months == 0 {
        bail!("--months 0: must be at least 1");
    }
    if args.months > careersim::limits::MAX_MONTHS {
        bail!("--months {}: at most {}", args.months, careersim::limits::MAX_MONTHS);
    }
    let src = match &args.config {
        Some(p) => ConfigSource::read(p)?,
        None => careersim::load::career_lite_source(),
    };
    let mut overrides = args.set.clone();
    overrides.push(format!("model.months={}", args.months));
    let rules = cli::checked_rules(&src, &overrides, args.agents, args.max_memory.as_deref())?;
    let at = if args.at.is_empty() {
        vec![args.months]
    } else {
        args.at.clone()
    };
    if let Some(bad) = at.iter().find(|&&m| m == 0 || m > args.months) {
        bail!("--at {bad}: must be within 1..={}", args.months);
    }
    careersim::schedule::init_threads(threads);
    let t0 = Instant::now();
    let mut sim = Simulation::new(rules.clone(), args.seed, args.agents);
    let setup = t0.elapsed().as_secs_f64();
    let initial = sim.clock().initial_population;
    let t1 = Instant::now();
    for _ in 0..args.months {
        sim.step_month();
    }
    let step = t1.elapsed().as_secs_f64();
    let entities = sim.entities();
    let history = sim.take_history();
    let agent_months: u64 = history.records.iter().map(|r| r.counters.agent_months).sum();
    let counts: serde_json::Map<String, serde_json::Value> = at
        .iter()
        .map(|&m| {
            let c = careersim::kpis::counts_by_group_state(&rules, &history.records[m as usize]);
            (m.to_string(), serde_json::to_value(c).expect("counts serialise"))
        })
        .collect();
    let out = serde_json::json!({
        "agents": initial,
        "months": args.months,
        "seed": args.seed,
        "threads": threads,
        "agent_months": agent_months,
        "step_seconds": step,
        "setup_seconds": setup,
        "agent_months_per_s": agent_months as f64 / step,
        "peak_rss_bytes": peak_rss_bytes(),
        "entities_at_end": entities,
        "counts": counts,
    });
    println!("{out}");
    Ok(())
}

fn run(args: RunArgs) -> Result<()> {
    let threads = cli::threads(args.control.threads)?;
    let src = source(&args.config)?;
    let params = parameters(&src, args.config.is_none(), &args.params, args.uncalibrated, &args.set)?;
    let mut overrides = params.overrides;
    if let Some(s) = &args.start {
        cli::date_arg("--start", s)?;
        overrides.push(format!("model.start=\"{s}\""));
    }
    if let Some(m) = args.months {
        if m == 0 || m > careersim::limits::MAX_MONTHS {
            bail!("--months {m}: must be 1..={}", careersim::limits::MAX_MONTHS);
        }
        overrides.push(format!("model.months={m}"));
    }
    if let Some(u) = &args.until {
        let until = cli::date_arg("--until", u)?;
        let start = careersim::load_rules(&src, &overrides)?.start;
        let m = start.months_until(until);
        if m < 1 || m > careersim::limits::MAX_MONTHS as i64 {
            bail!(
                "--until {until}: must be 1 to {} months after the model start {start}",
                careersim::limits::MAX_MONTHS
            );
        }
        overrides.push(format!("model.months={m}"));
    }
    let rules = cli::checked_rules(&src, &overrides, args.agents, args.control.max_memory.as_deref())?;
    let from = match &args.from_snapshot {
        Some(p) => {
            let (snap, _) = cli::snapshot_file::read(p)?;
            if snap.month >= rules.months {
                bail!(
                    "--from-snapshot {}: it ends at {}, not before the end of this run {} (give a later --until)",
                    p.display(),
                    rules.start.plus(snap.month),
                    rules.start.plus(rules.months)
                );
            }
            Some(snap)
        }
        None => None,
    };
    let seed = args.seed.or(from.as_ref().map(|s| s.seed)).unwrap_or(rules.seed);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("results/{}-{seed}", rules.name)));
    if let Some(p) = &args.save_snapshot {
        cli::snapshot_file::check_target(p, args.control.force)?;
        // A snapshot inside the result directory would go with it when the
        // result is next replaced.
        let real = |x: &std::path::Path| {
            std::fs::canonicalize(x)
                .or_else(|_| std::path::absolute(x))
                .unwrap_or_else(|_| x.to_path_buf())
        };
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if real(parent).starts_with(real(&out)) {
            bail!(
                "--save-snapshot {} is inside --out {}: the next run writing there would remove it; save it \
                 beside the results instead",
                p.display(),
                out.display()
            );
        }
    }
    let dest = cli::destination(
        &out,
        args.control.force,
        &[
            args.config.as_deref(),
            args.params.as_deref(),
            args.from_snapshot.as_deref(),
        ],
    )?;
    careersim::schedule::init_threads(threads);
    if !args.control.quiet {
        eprintln!(
            "careersim: {} from {} for {} months, seed {seed}, {threads} thread{}; parameters: {}",
            rules.name,
            rules.start,
            rules.months,
            if threads == 1 { "" } else { "s" },
            params.label
        );
    }

    let continued_from = from
        .as_ref()
        .zip(args.from_snapshot.as_ref())
        .map(|(snap, p)| (p.display().to_string(), rules.start.plus(snap.month).to_string()));
    let t0 = Instant::now();
    let mut sim = match from {
        Some(snap) => {
            let path = args.from_snapshot.as_deref().unwrap_or(std::path::Path::new(""));
            let mut sim = Simulation::restore(rules.clone(), snap)
                .with_context(|| format!("--from-snapshot {}", path.display()))?;
            sim.reseed(seed);
            if !args.control.quiet {
                eprintln!(
                    "careersim: continuing {} from the end of {}",
                    path.display(),
                    rules.start.plus(sim.month())
                );
            }
            sim
        }
        None => Simulation::new(rules.clone(), seed, args.agents),
    };
    let progress = Progress::new(args.control.quiet, (rules.months - sim.month()) as u64, "months");
    for _ in sim.month()..rules.months {
        sim.step_month();
        progress.inc();
    }
    progress.finish();
    let wall = t0.elapsed().as_secs_f64();
    if let Some(p) = &args.save_snapshot {
        cli::snapshot_file::write(p, &sim.snapshot().to_bytes())?;
        if !args.control.quiet {
            eprintln!(
                "careersim: snapshot of the end of {} saved to {} (continue with --from-snapshot; scenarios branch \
                 at {})",
                rules.start.plus(rules.months),
                p.display(),
                rules.start.plus(rules.months + 1)
            );
        }
    }
    let history = sim.take_history();
    let agent_months: u64 = history.records.iter().map(|r| r.counters.agent_months).sum();
    let manifest = Manifest {
        seed,
        threads,
        wall_seconds: wall,
        agent_months,
        config_file: src.file.clone(),
        parameters: params.label,
        overrides,
        continued_from,
    };
    let files = cli::report::run_files_with_report(&rules, &history, &manifest)?;
    dest.commit(&files)
        .with_context(|| format!("writing results to {}", out.display()))?;
    print_summary(&rules, &history, &out, wall, agent_months);
    Ok(())
}

fn print_summary(
    rules: &careersim::rules::Rules,
    h: &careersim::schedule::History,
    out: &std::path::Path,
    wall: f64,
    agent_months: u64,
) {
    let first = &h.records[0];
    let last = h.records.last().expect("month 0 is always recorded");
    let end = rules.start.plus(last.month);
    println!(
        "careersim {} — {} from {} to {end} ({} months)",
        env!("CARGO_PKG_VERSION"),
        rules.name,
        rules.start,
        last.month
    );
    println!(
        "{:<28} {:>12} {:>12} {:>12} {:>12}",
        "group (excl. leavers)", "headcount 0", "headcount T", "FTE 0", "FTE T"
    );
    for (gi, g) in rules.groups.iter().enumerate() {
        let sum = |r: &careersim::ledger::MonthRecord| {
            r.stock.iter().enumerate().fold((0u64, 0u64), |acc, (cell, &n)| {
                let (gr, st, _) = rules.cell_parts(cell);
                if rules.group_of(gr) as usize == gi && st != careersim::clinician::State::Leaver {
                    (acc.0 + n as u64, acc.1 + r.fte[cell])
                } else {
                    acc
                }
            })
        };
        let (h0, f0) = sum(first);
        let (h1, f1) = sum(last);
        println!(
            "{:<28} {:>12} {:>12} {:>12.1} {:>12.1}",
            g.name,
            h0,
            h1,
            f0 as f64 / 10.0,
            f1 as f64 / 10.0
        );
    }
    println!(
        "{agent_months} agent-months in {wall:.2} s ({:.3e} agent-months/s); results in {}",
        agent_months as f64 / wall.max(1e-9),
        out.display()
    );
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Ensembles, calibrations and hindcasts split their runs across MPI
    // ranks (a build with `--features mpi`); MPI lives until the end, so an
    // error on any rank can stop the others.
    let distributed = matches!(
        cli.command,
        Some(Command::Scenarios(_) | Command::Calibrate(_) | Command::Hindcast(_))
    );
    let mpi = cli::job::mpi_init(distributed);
    let result = mpi
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .and_then(|_| real_main(cli));
    let code = match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let ranks = cli::job::Ranks::current();
            if ranks.size() > 1 {
                // One write, so the launcher does not interleave other
                // output into the middle of the message.
                let msg = format!("error (rank {} of {}): {e:#}\n", ranks.rank(), ranks.size());
                let _ = std::io::Write::write_all(&mut std::io::stderr(), msg.as_bytes());
                ranks.abort_others();
            } else {
                eprintln!("error: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    };
    drop(mpi);
    code
}

fn real_main(cli: Cli) -> Result<()> {
    cli::handle_interrupts();
    match cli.command {
        None => run(cli.run),
        Some(Command::Run(args)) => run(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Calibrate(args)) => cli::calibrate::calibrate(args),
        Some(Command::Hindcast(args)) => cli::calibrate::hindcast(args),
        Some(Command::Scenarios(args)) => cli::scenarios::scenarios(args),
        Some(Command::Validate { config, set }) => {
            let src = ConfigSource::read(&config)?;
            let rules = load_rules(&src, &set)?;
            println!(
                "{}: valid ({} groups, {} grades, {} hazards, {} inflows, {} recruitment schemes)",
                src.file,
                rules.groups.len(),
                rules.grades.len(),
                rules.hazard_names.len(),
                rules.inflows.len(),
                rules.schemes.len()
            );
            Ok(())
        }
    }
}
