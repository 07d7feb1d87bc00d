//! `careersim scenarios`: reads the baseline and scenario files, runs the
//! ensemble with a progress bar, writes tables, plots and the report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use careersim::calibration::parse_posterior;
use careersim::ensemble::{EnsembleSpec, Row, reported_series, run_ensemble, tables};
use careersim::rules::Rules;
use careersim::scenario::{Scenario, baseline_rules, parse_scenario};
use careersim::series::split_name;

use careersim::limits::{MAX_MONTHS, MAX_REPLICATES, clip, run_bytes};

use super::job::{Fingerprint, Job, ResumeArgs};
use super::{Progress, RunControl, check_memory, count_arg, date_arg, parameters, read_text, report};

#[derive(clap::Args)]
pub struct ScenariosArgs {
    /// Baseline config file, or `england` for the embedded England baseline.
    baseline: String,
    /// Scenario overlay files (configs/scenarios/*.toml).
    scenarios: Vec<PathBuf>,
    /// Replicates per scenario (seeds seed, seed+1, ...; the same in every scenario).
    #[arg(long, default_value_t = 5)]
    replicates: usize,
    /// Run the shared history once per replicate up to the month before this
    /// one, snapshot it, and continue every scenario from the snapshot.
    #[arg(long)]
    branch_at: Option<String>,
    /// Continue every scenario from a snapshot saved by `run
    /// --save-snapshot` (the same config, parameters, --set and --scale):
    /// replicate r continues with the snapshot's seed + r, so replicate 0
    /// is the saved run's own future and `--replicates 1` equals
    /// `--branch-at` the month after the snapshot.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["branch_at", "posterior", "seed"])]
    from_snapshot: Option<PathBuf>,
    /// Last month simulated (default: the config's horizon).
    #[arg(long)]
    until: Option<String>,
    /// Parameter overlay for the baseline (e.g. calibration/england/best.toml).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Posterior sample to draw parameters from (parameter uncertainty).
    #[arg(long)]
    posterior: Option<PathBuf>,
    /// Parameter draws from the posterior (each run with every replicate seed).
    #[arg(long, default_value_t = 4)]
    draws: usize,
    /// Seed of replicate 0.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Population scale k (simulate 1 in k; counts scaled back).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Config overrides for the baseline, `key=value`.
    #[arg(long = "set")]
    set: Vec<String>,
    /// Output directory.
    #[arg(long, default_value = "results/scenarios")]
    out: PathBuf,
    /// Run the England baseline with the config's own (uncalibrated) values
    /// (by default `england` runs with the shipped calibration unless
    /// --params or --posterior is given).
    #[arg(long)]
    uncalibrated: bool,
    /// Threads, memory limit, replacing results, progress.
    #[command(flatten)]
    control: RunControl,
    /// Resuming an interrupted ensemble.
    #[command(flatten)]
    resume: ResumeArgs,
}

/// The summary or difference table as CSV: the series beside its measure,
/// scope and region (empty: England), the month-end ISO date, values
/// rounded to what they mean (see `report::csv_value`).
fn rows_csv(rules: &Rules, rows: &[Row]) -> String {
    let mut s =
        String::from("scenario,series,measure,scope,region,date,mean,q05,q50,q95,sd_monte_carlo,sd_parameter\n");
    for r in rows {
        let unit = report::unit_of_name(rules, &r.series);
        let v = |x: f64| report::csv_value(unit, x);
        let (measure, scope, region) = split_name(&r.series).unwrap_or(("", &r.series, None));
        let _ = writeln!(
            s,
            "{},{},{measure},{scope},{},{},{},{},{},{},{},{}",
            r.scenario,
            r.series,
            region.unwrap_or(""),
            r.date.month_end(),
            v(r.stats.mean),
            v(r.stats.q05),
            v(r.stats.q50),
            v(r.stats.q95),
            v(r.sd_monte_carlo),
            v(r.sd_parameter)
        );
    }
    s
}

/// The cost-effectiveness table as CSV: pounds to the pound, FTE-years to
/// one decimal, an empty cell where a ratio is undefined (no FTE-years
/// gained) or its interval unbounded (pairs that disagree in sign).
pub(crate) fn cost_effectiveness_csv(rules: &Rules, rows: &[careersim::ensemble::CostEffect]) -> String {
    let mut s = String::from(
        "scenario,scope,through,price_base_year,discount_rate,pairs,\
         delta_cost_mean,delta_cost_q05,delta_cost_q95,\
         delta_non_pay_cost_mean,delta_non_pay_cost_q05,delta_non_pay_cost_q95,\
         delta_fte_years_mean,delta_fte_years_q05,delta_fte_years_q95,\
         cost_per_fte_year,cost_per_fte_year_q05,cost_per_fte_year_q50,cost_per_fte_year_q95,\
         non_pay_cost_per_fte_year,non_pay_cost_per_fte_year_q05,non_pay_cost_per_fte_year_q50,non_pay_cost_per_fte_year_q95\n",
    );
    let Some(cost) = &rules.cost else { return s };
    let pounds = |x: f64| {
        if x.is_finite() {
            format!("{}", x.round() as i64)
        } else {
            String::new()
        }
    };
    let fte = |x: f64| {
        if x.is_finite() {
            format!("{x:.1}")
        } else {
            String::new()
        }
    };
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.scenario,
            r.scope,
            r.through.month_end(),
            cost.price_base_year,
            cost.discount_rate,
            r.pairs,
            pounds(r.delta_cost.mean),
            pounds(r.delta_cost.q05),
            pounds(r.delta_cost.q95),
            pounds(r.delta_non_pay.mean),
            pounds(r.delta_non_pay.q05),
            pounds(r.delta_non_pay.q95),
            fte(r.delta_fte_years.mean),
            fte(r.delta_fte_years.q05),
            fte(r.delta_fte_years.q95),
            pounds(r.per_fte_year),
            pounds(r.per_fte_year_q[0]),
            pounds(r.per_fte_year_q[1]),
            pounds(r.per_fte_year_q[2]),
            pounds(r.non_pay_per_fte_year),
            pounds(r.non_pay_per_fte_year_q[0]),
            pounds(r.non_pay_per_fte_year_q[1]),
            pounds(r.non_pay_per_fte_year_q[2]),
        );
    }
    s
}

pub fn scenarios(args: ScenariosArgs) -> Result<()> {
    let threads = super::threads(args.control.threads)?;
    count_arg("--replicates", args.replicates as u64, MAX_REPLICATES)?;
    count_arg("--draws", args.draws as u64, MAX_REPLICATES)?;
    super::scale_arg(args.scale)?;
    careersim::schedule::init_threads(threads);
    let src = if args.baseline == "england" {
        careersim::load::baseline_source()
    } else {
        careersim::config::ConfigSource::read(std::path::Path::new(&args.baseline))?
    };
    let params = parameters(
        &src,
        args.baseline == "england" && args.posterior.is_none(),
        &args.params,
        args.uncalibrated,
        &args.set,
    )?;
    let parameters_label = match &args.posterior {
        Some(p) => format!("posterior draws from {}", p.display()),
        None => params.label,
    };
    let mut base = params.overrides;
    if args.scale != 1.0 {
        base.push(format!("model.population_scale={}", args.scale));
    }
    let rules0 = careersim::load_rules(&src, &base)?;
    let until = match &args.until {
        Some(u) => date_arg("--until", u)?,
        None => rules0.start.plus(rules0.months),
    };
    let months = rules0.start.months_until(until);
    if months < 1 {
        bail!("--until {until} must be after the model start {}", rules0.start);
    }
    if months > MAX_MONTHS as i64 {
        bail!(
            "--until {until}: {months} months after the model start {}; at most {MAX_MONTHS}",
            rules0.start
        );
    }
    let months = months as u32;
    let snapshot = match &args.from_snapshot {
        Some(p) => {
            let (snap, bytes) = super::snapshot_file::read(p)?;
            if snap.month >= months {
                bail!(
                    "--from-snapshot {}: it ends at {}, not before --until {until}",
                    p.display(),
                    rules0.start.plus(snap.month)
                );
            }
            Some((snap.seed, snap.month, bytes, snap.config_hash))
        }
        None => None,
    };
    let branch = match &args.branch_at {
        Some(b) => {
            let at = date_arg("--branch-at", b)?;
            let m = rules0.start.months_until(at);
            if m < 1 || m > months as i64 {
                bail!(
                    "--branch-at {at} must lie after the model start {} and not after --until {until}",
                    rules0.start
                );
            }
            Some((m - 1) as u32)
        }
        None => None,
    };
    let mut scenarios = vec![Scenario::baseline()];
    for p in &args.scenarios {
        let s = parse_scenario(&p.display().to_string(), &read_text(p)?, &src, &base)?;
        if scenarios.iter().any(|x| x.name == s.name) {
            bail!("{}: scenario name `{}` is used twice", p.display(), clip(&s.name));
        }
        if let Some(late) = s.levers.iter().map(|l| l.from).find(|&f| f > until) {
            bail!(
                "{}: a lever starts {late}, after the last simulated month {until} (--until, or the config's \
                 horizon): it would change nothing; start it earlier or run longer with --until",
                p.display()
            );
        }
        if let (Some(first), Some(b)) = (s.first_change(), branch) {
            let at = rules0.start.plus(b + 1);
            if first < at {
                bail!(
                    "{}: a lever starts {first}, before --branch-at {at}; scenarios may only differ after the branch point",
                    p.display()
                );
            }
        }
        if let (Some(first), Some((_, m, _, _))) = (s.first_change(), &snapshot) {
            let at = rules0.start.plus(m + 1);
            if first < at {
                bail!(
                    "{}: a lever starts {first}, but the snapshot {} already holds the months to {}; scenarios may \
                     only differ from {at}",
                    p.display(),
                    args.from_snapshot
                        .as_deref()
                        .unwrap_or(std::path::Path::new(""))
                        .display(),
                    rules0.start.plus(*m)
                );
            }
        }
        scenarios.push(s);
    }
    let posterior_text = match &args.posterior {
        Some(p) => Some(read_text(p)?),
        None => None,
    };
    let posterior = match (&args.posterior, &posterior_text) {
        (Some(p), Some(text)) => Some(parse_posterior(&p.display().to_string(), text, &src)?),
        _ => None,
    };
    let spec = EnsembleSpec {
        config: &src,
        base: base.clone(),
        scenarios,
        replicates: args.replicates,
        seed: snapshot.as_ref().map_or(args.seed, |s| s.0),
        months,
        branch,
        posterior: posterior.as_ref().map(|(f, p)| (f.as_slice(), p, args.draws)),
        from_snapshot: snapshot.as_ref().map(|s| s.2.as_slice()),
    };
    let rules = baseline_rules(&src, &base, months)?;
    if let (Some((_, _, _, hash)), Some(p)) = (&snapshot, &args.from_snapshot)
        && *hash != rules.history_hash
    {
        // Refused here, by its file, rather than in every run.
        bail!(
            "--from-snapshot {}: {}",
            p.display(),
            careersim::error::SnapshotError::ConfigMismatch {
                found: format!("{hash:016x}"),
                expected: format!("{:016x}", rules.history_hash),
            }
        );
    }
    // One run's memory: the largest of the baseline and each scenario with
    // all its levers in force; runs held at once: one per thread.
    let tree = careersim::scenario::base_tree(&src, &base)?;
    let one_run = spec
        .scenarios
        .iter()
        .filter_map(|s| {
            let last = s.levers.iter().map(|l| l.from).max()?;
            let mut o = base.clone();
            o.push(format!("model.months={months}"));
            o.extend(s.overrides_at(last, &tree));
            careersim::load_rules(&src, &o).ok().map(|r| run_bytes(&r, None))
        })
        .fold(run_bytes(&rules, None), u64::max);
    let concurrent = threads.min(args.replicates.saturating_mul(args.draws)).max(1) as u64;
    check_memory(one_run.saturating_mul(concurrent), args.control.max_memory.as_deref())?;
    let series = reported_series(&rules);
    let draws = spec.posterior.map_or(1, |p| p.2);
    let total = (spec.scenarios.len() * args.replicates * draws) as u64;
    let t0 = Instant::now();
    let mut fp = Fingerprint::new("scenarios")
        .with("config", format!("{:016x}", rules.config_hash))
        .with("replicates", args.replicates)
        .with("draws", draws)
        .with("seed", spec.seed)
        .with("branch", format!("{branch:?}"))
        .with_text("posterior", posterior_text.as_deref())
        .with(
            "snapshot",
            snapshot
                .as_ref()
                .map_or("none".into(), |s| format!("{:016x}", careersim::rules::fnv1a(&s.2))),
        );
    for (p, s) in args.scenarios.iter().zip(spec.scenarios.iter().skip(1)) {
        fp = fp.with_text(&format!("scenario {}", s.name), Some(&read_text(p)?));
    }
    let inputs: Vec<Option<&std::path::Path>> = [
        (args.baseline != "england").then(|| std::path::Path::new(&args.baseline)),
        args.params.as_deref(),
        args.posterior.as_deref(),
        args.from_snapshot.as_deref(),
    ]
    .into_iter()
    .chain(args.scenarios.iter().map(|p| Some(p.as_path())))
    .collect();
    let (dest, job) = Job::with_destination(&args.out, args.control.force, args.resume.resume, &inputs, &fp)?;
    let pb = Progress::new(args.control.quiet, total, "scenario runs");
    let tick = || pb.inc();
    let runs = run_ensemble(&spec, &series, &job, &tick)?;
    pb.finish();
    let seconds = t0.elapsed().as_secs_f64();
    let Some(dest) = dest else {
        return Ok(()); // another rank: rank 0 writes
    };
    let (summary, difference) = tables(&spec, &rules, &series, &runs);
    let effects = careersim::ensemble::cost_effectiveness(&spec, &rules, &series, &runs);

    let mut runs_csv = String::from("scenario,draw,particle,replicate,seed,series,measure,scope,region,date,value\n");
    let report_months = careersim::ensemble::report_months(months);
    for r in &runs {
        for (k, rep) in series.iter().enumerate() {
            let unit = report::unit_of_name(&rules, &rep.id.name);
            let (measure, scope, region) = rep.id.parts();
            for (mi, &m) in report_months.iter().enumerate() {
                let _ = writeln!(
                    runs_csv,
                    "{},{},{},{},{},{},{measure},{scope},{},{},{}",
                    spec.scenarios[r.scenario].name,
                    r.draw,
                    r.particle.map_or(String::new(), |p| p.to_string()),
                    r.replicate,
                    r.seed,
                    rep.id.name,
                    region.unwrap_or(""),
                    rules.start.plus(m).month_end(),
                    report::csv_value(unit, r.values[k * report_months.len() + mi])
                );
            }
        }
    }
    let manifest = serde_json::json!({
        "careersim_version": env!("CARGO_PKG_VERSION"),
        "command": std::env::args().collect::<Vec<_>>(),
        "config_file": src.file,
        "config_hash": format!("{:016x}", rules.config_hash),
        "parameters": parameters_label,
        "base_overrides": base,
        "scenarios": spec.scenarios.iter().map(|s| serde_json::json!({
            "name": s.name, "description": s.description, "policy": s.policy,
            "levers": s.levers.iter().map(|l| serde_json::json!({"from": l.from.to_string(), "changes": l.describe()})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "replicates": args.replicates,
        "draws": draws,
        "posterior_file": args.posterior.as_ref().map(|p| p.display().to_string()),
        "seed": args.seed,
        "start": rules.start.to_string(),
        "until": until.to_string(),
        "branch_at": branch.map(|b| rules.start.plus(b + 1).to_string()),
        "from_snapshot": args.from_snapshot.as_ref().map(|p| p.display().to_string()),
        "snapshot_ends": snapshot.as_ref().map(|s| rules.start.plus(s.1).to_string()),
        "mpi_ranks": job.ranks().size(),
        "scale": args.scale,
        "threads": threads,
        "runs": runs.len(),
        "seconds": seconds,
    });
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("runs.csv".into(), runs_csv.into_bytes()),
        ("summary.csv".into(), rows_csv(&rules, &summary).into_bytes()),
        ("difference.csv".into(), rows_csv(&rules, &difference).into_bytes()),
        (
            "manifest.json".into(),
            (serde_json::to_string_pretty(&manifest)? + "\n").into_bytes(),
        ),
    ];
    if rules.cost.is_some() {
        files.push((
            "cost_effectiveness.csv".into(),
            cost_effectiveness_csv(&rules, &effects).into_bytes(),
        ));
    }
    files.extend(report::render(
        &spec,
        &rules,
        &summary,
        &difference,
        &runs,
        &series,
        &effects,
    )?);
    dest.commit(&files)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let account = job.account();
    job.finish()?;
    println!(
        "scenarios: {} scenarios x {} replicates x {draws} parameter draws = {} runs to {until} in {seconds:.1} s ({account}){}",
        spec.scenarios.len(),
        args.replicates,
        runs.len(),
        branch.map_or(String::new(), |b| format!(
            " (shared history to {} run once per replicate)",
            rules.start.plus(b)
        ))
    );
    println!("results in {} (open report.html)", args.out.display());
    Ok(())
}
