//! `careersim calibrate` and `careersim hindcast`: file reading, progress
//! bars and output writing around `careersim::calibration`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use careersim::calibration::abc::{AbcSettings, abc_smc};
use careersim::calibration::evaluate::Evaluator;
use careersim::calibration::fit::{self, Comparison};
use careersim::calibration::nelder_mead::nelder_mead;
use careersim::calibration::{
    FreeParam, Posterior, Target, parse_free, parse_posterior, parse_targets, render_params_overlay,
};
use careersim::load_rules;

use careersim::limits::{MAX_BUDGET, MAX_GENERATIONS, MAX_PARTICLES, MAX_REPLICATES, run_bytes};

use super::job::{Fingerprint, Job, ResumeArgs};
use super::{Progress, RunControl, base_overrides, check_memory, count_arg, date_arg, read_text, source, threads};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Method {
    /// Approximate Bayesian computation, sequential Monte Carlo: a posterior sample.
    AbcSmc,
    /// Nelder-Mead simplex: a point fit, fast.
    NelderMead,
}

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// Config file (default: the embedded England baseline).
    config: Option<PathBuf>,
    /// Targets CSV (series, grain, year, month, value, se, ...).
    #[arg(long)]
    targets: PathBuf,
    /// Free parameters TOML ([[param]] path, min, max, prior).
    #[arg(long)]
    free: PathBuf,
    /// Fitting method.
    #[arg(long, value_enum, default_value_t = Method::AbcSmc)]
    method: Method,
    /// ABC-SMC particles per generation.
    #[arg(long, default_value_t = 100)]
    particles: usize,
    /// ABC-SMC generations after the prior sample.
    #[arg(long, default_value_t = 4)]
    generations: usize,
    /// Maximum model runs for the fit.
    #[arg(long, default_value_t = 2000)]
    budget: u64,
    /// Seed of the sampler and of every calibration run (common random numbers).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Population scale k for fitting runs (simulate 1 in k; counts scaled back).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Replicates (at full scale) for the fit table.
    #[arg(long, default_value_t = 10)]
    fit_replicates: usize,
    /// Parameter overlay applied before fitting.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Config overrides applied before fitting, `key=value`.
    #[arg(long = "set")]
    set: Vec<String>,
    /// Output directory.
    #[arg(long, default_value = "results/calibration")]
    out: PathBuf,
    /// Threads, memory limit, replacing results, progress.
    #[command(flatten)]
    control: RunControl,
    /// Resuming an interrupted calibration.
    #[command(flatten)]
    resume: ResumeArgs,
}

#[derive(clap::Args)]
pub struct HindcastArgs {
    /// Config file (default: the embedded England baseline).
    config: Option<PathBuf>,
    /// Parameter overlay (e.g. calibration/england/best.toml).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Posterior sample (a calibration's posterior.csv): each replicate draws
    /// its parameters from it, so intervals include parameter uncertainty.
    #[arg(long)]
    posterior: Option<PathBuf>,
    /// Observed figures, in the targets CSV shape.
    #[arg(long)]
    observed: PathBuf,
    /// First month compared, YYYY-MM.
    #[arg(long)]
    from: String,
    /// Last month simulated and compared, YYYY-MM.
    #[arg(long)]
    until: String,
    /// Replicates (seeds seed, seed+1, ...).
    #[arg(long, default_value_t = 10)]
    replicates: usize,
    /// Seed of replicate 0.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Population scale k (1 = full population).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Config overrides, `key=value`.
    #[arg(long = "set")]
    set: Vec<String>,
    /// Output directory.
    #[arg(long, default_value = "results/hindcast")]
    out: PathBuf,
    /// Threads, memory limit, replacing results, progress.
    #[command(flatten)]
    control: RunControl,
    /// Resuming an interrupted hindcast.
    #[command(flatten)]
    resume: ResumeArgs,
}

fn fmt(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The comparison table (fit.csv / hindcast.csv).
fn comparison_csv(targets: &[Target], comps: &[Comparison], file: &str) -> String {
    let mut s = String::from(
        "line,series,grain,date,observed,se,sim_mean,sim_q05,sim_q50,sim_q95,error,pct_error,z,inside_90,figure,source_title,source_url\n",
    );
    for (t, c) in targets.iter().zip(comps) {
        let _ = writeln!(
            s,
            "{file}:{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            t.line,
            t.series.name,
            if t.grain == careersim::series::Grain::Year {
                "year"
            } else {
                "month"
            },
            t.date,
            fmt(t.value),
            fmt(t.se),
            fmt(c.mean),
            fmt(c.q05),
            fmt(c.q50),
            fmt(c.q95),
            fmt(c.error),
            fmt(c.pct_error),
            fmt(c.z),
            c.inside_90,
            csv_field(&t.figure),
            csv_field(&t.source_title),
            csv_field(&t.source_url),
        );
    }
    s
}

fn family_csv(targets: &[Target], comps: &[Comparison]) -> String {
    let mut s = String::from("family,targets,mape,inside_90\n");
    for (f, mape, n, inside) in fit::by_family(targets, comps) {
        let _ = writeln!(s, "{f},{n},{},{inside}", fmt(mape));
    }
    s
}

/// A markdown table of the comparisons, for the terminal and READMEs.
pub fn comparison_markdown(targets: &[Target], comps: &[Comparison]) -> String {
    let mut s = String::from(
        "| series | date | observed | simulated mean | 90% interval | error | in 90% |\n|---|---|---:|---:|---|---:|:-:|\n",
    );
    for (t, c) in targets.iter().zip(comps) {
        let _ = writeln!(
            s,
            "| {} | {} | {:.4} | {:.4} | [{:.4}, {:.4}] | {} | {} |",
            t.series.name,
            t.date,
            t.value,
            c.mean,
            c.q05,
            c.q95,
            percent(c.pct_error),
            if c.inside_90 { "yes" } else { "no" }
        );
    }
    s.push_str("\n| family | targets | MAPE | in 90% |\n|---|---:|---:|---:|\n");
    for (f, mape, n, inside) in fit::by_family(targets, comps) {
        let mape = if mape.is_finite() {
            format!("{:.1}%", 100.0 * mape)
        } else {
            "n/a".into()
        };
        let _ = writeln!(s, "| {f} | {n} | {mape} | {inside}/{n} |");
    }
    s
}

/// A signed percentage to one decimal, or `n/a` where there is none (a
/// change, or an observed zero).
fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:+.1}%", 100.0 * x)
    } else {
        "n/a".into()
    }
}

fn posterior_csv(free: &[FreeParam], p: &Posterior) -> String {
    let mut s = String::from("particle,weight,distance");
    for f in free {
        s.push(',');
        s.push_str(&f.path);
    }
    s.push('\n');
    for (i, ((x, w), d)) in p.particles.iter().zip(&p.weights).zip(&p.distances).enumerate() {
        let _ = write!(s, "{i},{w},{d}");
        for v in x {
            let _ = write!(s, ",{v}");
        }
        s.push('\n');
    }
    s
}

pub fn calibrate(args: CalibrateArgs) -> Result<()> {
    let n_threads = threads(args.control.threads)?;
    count_arg("--particles", args.particles as u64, MAX_PARTICLES)?;
    count_arg("--budget", args.budget, MAX_BUDGET)?;
    count_arg("--fit-replicates", args.fit_replicates as u64, MAX_REPLICATES)?;
    if args.generations as u64 > MAX_GENERATIONS {
        bail!("--generations {}: must be at most {MAX_GENERATIONS}", args.generations);
    }
    if matches!(args.method, Method::AbcSmc) && (args.particles as u64) > args.budget {
        bail!(
            "--particles {} exceeds --budget {}: the prior sample alone needs one run per particle",
            args.particles,
            args.budget
        );
    }
    super::scale_arg(args.scale)?;
    careersim::schedule::init_threads(n_threads);
    let src = source(&args.config)?;
    let base = base_overrides(&src, &args.params, &args.set)?;
    let rules = load_rules(&src, &base)?;
    let targets_file = args.targets.display().to_string();
    let targets_text = read_text(&args.targets)?;
    let free_text = read_text(&args.free)?;
    let targets = parse_targets(&targets_file, &targets_text, &rules)?;
    let free = parse_free(&args.free.display().to_string(), &free_text, &src)?;
    // The fit table runs at full scale, one run per thread at once; a free
    // parameter at its upper bound may enlarge a run (an intake, say).
    let one_run = free
        .iter()
        .filter_map(|p| {
            let mut o = base.clone();
            o.push(p.override_for(p.max));
            load_rules(&src, &o).ok().map(|r| run_bytes(&r, None))
        })
        .fold(run_bytes(&rules, None), u64::max);
    check_memory(
        one_run.saturating_mul(n_threads.min(args.fit_replicates) as u64),
        args.control.max_memory.as_deref(),
    )?;
    let ev = Evaluator {
        config: &src,
        base: base.clone(),
        free: &free,
        targets: &targets,
        scale: args.scale,
    };
    // The full-scale check that the config runs at all (clear error early).
    ev.run(
        &free.iter().map(|p| p.config_value).collect::<Vec<_>>(),
        args.seed,
        args.scale,
        1,
    )?;

    let t0 = Instant::now();
    let fp = Fingerprint::new("calibrate")
        .with("config", format!("{:016x}", rules.config_hash))
        .with_text("targets", Some(&targets_text))
        .with_text("free", Some(&free_text))
        .with("method", format!("{:?}", args.method))
        .with("particles", args.particles)
        .with("generations", args.generations)
        .with("budget", args.budget)
        .with("seed", args.seed)
        .with("scale", args.scale)
        .with("fit replicates", args.fit_replicates);
    let (dest, job) = Job::with_destination(
        &args.out,
        args.control.force,
        args.resume.resume,
        &[
            args.config.as_deref(),
            args.params.as_deref(),
            Some(&args.targets),
            Some(&args.free),
        ],
        &fp,
    )?;
    let pb = Progress::new(args.control.quiet, args.budget, "model runs (fit)");
    let tick = || pb.inc();
    let posterior = match args.method {
        Method::AbcSmc => abc_smc(
            &ev,
            &AbcSettings {
                particles: args.particles,
                generations: args.generations,
                budget: args.budget,
                seed: args.seed,
                quantile: 0.5,
            },
            &job,
            &tick,
        )?,
        Method::NelderMead => nelder_mead(&ev, args.budget, args.seed, &job, &tick)?,
    };
    pb.finish();
    let fit_seconds = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let pb = Progress::new(
        args.control.quiet,
        args.fit_replicates as u64,
        "full-scale replicates (fit table)",
    );
    let tick = || pb.inc();
    let sims = fit::replicate(&ev, &posterior, args.fit_replicates, args.seed, 1.0, &job, "fit", &tick)?;
    pb.finish();
    let check_seconds = t1.elapsed().as_secs_f64();
    let Some(dest) = dest else {
        return Ok(()); // another rank: rank 0 writes
    };
    let comps = fit::compare(&targets, &sims);

    let method = format!("{:?}", args.method);
    let best = posterior.best().to_vec();
    let command: Vec<String> = std::env::args().collect();
    let header = format!(
        "careersim parameter overlay from `careersim calibrate` ({method}, seed {}, {} model runs)\n{}\napply with: careersim run --params best.toml",
        args.seed,
        posterior.runs,
        command.join(" ")
    );
    let mut summary = String::from("parameter,config_value,best,posterior_mean,q05,q95,min,max,prior\n");
    for (j, p) in free.iter().enumerate() {
        let _ = writeln!(
            summary,
            "{},{},{},{},{},{},{},{},{:?}",
            p.path,
            p.config_value,
            best[j],
            posterior.mean(j),
            posterior.quantile(j, 0.05),
            posterior.quantile(j, 0.95),
            p.min,
            p.max,
            p.prior
        );
    }
    let manifest = serde_json::json!({
        "careersim_version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "config_file": src.file,
        "config_hash": format!("{:016x}", rules.config_hash),
        "targets_file": targets_file,
        "free_file": args.free.display().to_string(),
        "method": method,
        "seed": args.seed,
        "scale": args.scale,
        "particles": args.particles,
        "generations": args.generations,
        "budget": args.budget,
        "model_runs": posterior.runs,
        "tolerances": posterior.tolerances,
        "fit_replicates": args.fit_replicates,
        "threads": n_threads,
        "mpi_ranks": job.ranks().size(),
        "fit_seconds": fit_seconds,
        "fit_table_seconds": check_seconds,
    });
    let files = vec![
        ("posterior.csv", posterior_csv(&free, &posterior)),
        ("parameters.csv", summary.clone()),
        ("best.toml", render_params_overlay(&header, &free, &best)),
        ("fit.csv", comparison_csv(&targets, &comps, &targets_file)),
        ("fit_by_family.csv", family_csv(&targets, &comps)),
        ("fit.md", comparison_markdown(&targets, &comps)),
        ("manifest.json", serde_json::to_string_pretty(&manifest)? + "\n"),
    ];
    dest.commit(&files)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let account = job.account();
    job.finish()?;
    println!(
        "calibrate ({method}): {} model runs in {fit_seconds:.1} s at scale {}; fit table from {} full-scale replicates in {check_seconds:.1} s ({account})",
        posterior.runs, args.scale, args.fit_replicates
    );
    print!("{summary}");
    println!();
    print!("{}", comparison_markdown(&targets, &comps));
    println!("results in {}", args.out.display());
    Ok(())
}

pub fn hindcast(args: HindcastArgs) -> Result<()> {
    let n_threads = threads(args.control.threads)?;
    count_arg("--replicates", args.replicates as u64, MAX_REPLICATES)?;
    super::scale_arg(args.scale)?;
    careersim::schedule::init_threads(n_threads);
    let from = date_arg("--from", &args.from)?;
    let until = date_arg("--until", &args.until)?;
    if until < from {
        bail!("--until {until} is before --from {from}");
    }
    let src = source(&args.config)?;
    let base = base_overrides(&src, &args.params, &args.set)?;
    let rules = load_rules(&src, &base)?;
    let months = rules.start.months_until(until);
    if months < 1 {
        bail!("--until {until} must be after the model start {}", rules.start);
    }
    if months > careersim::limits::MAX_MONTHS as i64 {
        bail!(
            "--until {until}: {months} months after the model start {}; at most {}",
            rules.start,
            careersim::limits::MAX_MONTHS
        );
    }
    {
        let mut o = base.clone();
        o.push(format!("model.months={months}"));
        if args.scale != 1.0 {
            o.push(format!("model.population_scale={}", args.scale));
        }
        let r = load_rules(&src, &o)?;
        check_memory(
            run_bytes(&r, None).saturating_mul(n_threads.min(args.replicates) as u64),
            args.control.max_memory.as_deref(),
        )?;
    }
    let observed_file = args.observed.display().to_string();
    let observed_text = read_text(&args.observed)?;
    let all = parse_targets(&observed_file, &observed_text, &rules)?;
    let (targets, skipped): (Vec<Target>, Vec<Target>) =
        all.into_iter().partition(|t| t.date >= from && t.date <= until);
    if targets.is_empty() {
        bail!("{observed_file}: no observations between {from} and {until}");
    }
    let posterior_text = match &args.posterior {
        Some(p) => Some(read_text(p)?),
        None => None,
    };
    let (free, point) = match (&args.posterior, &posterior_text) {
        (Some(p), Some(text)) => parse_posterior(&p.display().to_string(), text, &src)?,
        _ => (
            Vec::new(),
            Posterior {
                particles: vec![Vec::new()],
                weights: vec![1.0],
                distances: vec![0.0],
                runs: 0,
                tolerances: Vec::new(),
            },
        ),
    };
    let ev = Evaluator {
        config: &src,
        base,
        free: &free,
        targets: &targets,
        scale: args.scale,
    };
    let t0 = Instant::now();
    let fp = Fingerprint::new("hindcast")
        .with("config", format!("{:016x}", rules.config_hash))
        .with_text("observed", Some(&observed_text))
        .with_text("posterior", posterior_text.as_deref())
        .with("from", from)
        .with("until", until)
        .with("replicates", args.replicates)
        .with("seed", args.seed)
        .with("scale", args.scale);
    let (dest, job) = Job::with_destination(
        &args.out,
        args.control.force,
        args.resume.resume,
        &[
            args.config.as_deref(),
            args.params.as_deref(),
            args.posterior.as_deref(),
            Some(&args.observed),
        ],
        &fp,
    )?;
    let pb = Progress::new(args.control.quiet, args.replicates as u64, "replicates");
    let tick = || pb.inc();
    let sims = fit::replicate(
        &ev,
        &point,
        args.replicates,
        args.seed,
        args.scale,
        &job,
        "hindcast",
        &tick,
    )?;
    pb.finish();
    let seconds = t0.elapsed().as_secs_f64();
    let Some(dest) = dest else {
        return Ok(()); // another rank: rank 0 writes
    };
    let comps = fit::compare(&targets, &sims);
    let manifest = serde_json::json!({
        "careersim_version": env!("CARGO_PKG_VERSION"),
        "command": std::env::args().collect::<Vec<_>>(),
        "config_file": src.file,
        "config_hash": format!("{:016x}", rules.config_hash),
        "params_file": args.params.as_ref().map(|p| p.display().to_string()),
        "posterior_file": args.posterior.as_ref().map(|p| p.display().to_string()),
        "observed_file": observed_file,
        "from": from.to_string(),
        "until": until.to_string(),
        "replicates": args.replicates,
        "seed": args.seed,
        "scale": args.scale,
        "threads": n_threads,
        "mpi_ranks": job.ranks().size(),
        "observations_compared": targets.len(),
        "observations_outside_window": skipped.len(),
        "seconds": seconds,
    });
    let files = vec![
        ("hindcast.csv", comparison_csv(&targets, &comps, &observed_file)),
        ("hindcast_by_family.csv", family_csv(&targets, &comps)),
        ("hindcast.md", comparison_markdown(&targets, &comps)),
        ("manifest.json", serde_json::to_string_pretty(&manifest)? + "\n"),
    ];
    dest.commit(&files)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let account = job.account();
    job.finish()?;
    println!(
        "hindcast {from}..{until}: {} observations ({} outside the window skipped), {} replicates in {seconds:.1} s ({account})",
        targets.len(),
        skipped.len(),
        args.replicates
    );
    print!("{}", comparison_markdown(&targets, &comps));
    println!("results in {}", args.out.display());
    Ok(())
}
