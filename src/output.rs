//! Edge: the files of a run's results, as text. They are put in place by
//! `destination`, which never replaces a path careersim did not write and
//! never leaves a half-written result.

use std::fmt::Write as _;

use crate::clinician::State;
use crate::kpis::kpi_series;
use crate::ledger::{Duration, flow_cells};
use crate::rules::Rules;
use crate::schedule::History;
use crate::series::Grain;

/// Run facts for manifest.json.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Seed.
    pub seed: u64,
    /// Threads.
    pub threads: usize,
    /// Wall seconds of the run.
    pub wall_seconds: f64,
    /// Agent-months stepped.
    pub agent_months: u64,
    /// Config file.
    pub config_file: String,
    /// Which parameters ran: calibrated, uncalibrated or a file's.
    pub parameters: String,
    /// Overrides applied.
    pub overrides: Vec<String>,
    /// The snapshot the run continued from (`--from-snapshot`), if any, and
    /// the month it ended.
    pub continued_from: Option<(String, String)>,
}

/// A stock cell at the grain of the CSV tables: (grade, state) by the
/// regions a planner reads (`Rules::reporting_regions`: the NHS England
/// regions when the config has ICSs, whose cells are summed; else the
/// model's regions, cell for cell).
fn report_cell(rules: &Rules, cell: usize) -> usize {
    let (g, st, r) = rules.cell_parts(cell);
    let rr = if rules.region_groups.is_empty() {
        r as usize
    } else {
        rules.region_group_of[r as usize] as usize
    };
    (g as usize * State::COUNT + st as usize) * rules.reporting_regions().len() + rr
}

/// (grade, state, reporting region) of a reporting cell.
fn report_parts(rules: &Rules, cell: usize) -> (u8, State, &str) {
    let n = rules.reporting_regions().len();
    let gs = cell / n;
    (
        (gs / State::COUNT) as u8,
        State::from_u8((gs % State::COUNT) as u8),
        rules.reporting_regions()[cell % n].as_str(),
    )
}

/// The text of monthly.csv: stocks by (grade, state, region) — NHS England
/// regions when the config has ICSs (the ICS grain is in monthly.parquet).
pub fn monthly_csv(rules: &Rules, h: &History) -> String {
    let mut s = String::from("month,date,group,grade,state,region,headcount,fte\n");
    let n_cells = rules.grades.len() * State::COUNT * rules.reporting_regions().len();
    for rec in &h.records {
        let date = rules.start.plus(rec.month).month_end();
        let (mut head, mut fte) = (vec![0u64; n_cells], vec![0u64; n_cells]);
        for (cell, &n) in rec.stock.iter().enumerate() {
            if n > 0 {
                let rc = report_cell(rules, cell);
                head[rc] += n as u64;
                fte[rc] += rec.fte[cell];
            }
        }
        for (cell, &n) in head.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let (g, st, region) = report_parts(rules, cell);
            let grade = &rules.grades[g as usize];
            let f = fte[cell];
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{}.{}",
                rec.month,
                date,
                rules.groups[grade.group as usize].name,
                grade.name,
                st.name(),
                region,
                n,
                f / 10,
                f % 10
            );
        }
    }
    s
}

/// The text of flows.csv: flows between (grade, state, region) cells, at
/// the grain of monthly.csv.
pub fn flows_csv(rules: &Rules, h: &History) -> String {
    let mut s = String::from("month,date,group,from_grade,from_state,from_region,to_grade,to_state,to_region,count\n");
    let part = |c: Option<usize>, outside: &str| -> (Option<u8>, String, String, String) {
        match c {
            Some(c) => {
                let (g, st, r) = report_parts(rules, c);
                (
                    Some(g),
                    rules.grades[g as usize].name.clone(),
                    st.name().into(),
                    r.into(),
                )
            }
            None => (None, outside.into(), outside.into(), outside.into()),
        }
    };
    for rec in h.records.iter().skip(1) {
        let date = rules.start.plus(rec.month).month_end();
        // Keys re-encoded at the reporting grain keep the order of the
        // model's keys when the grains are the same.
        let mut flows: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
        for &(key, n) in &rec.flows {
            let (from, to) = flow_cells(key);
            let k = crate::ledger::flow_key(from.map(|c| report_cell(rules, c)), to.map(|c| report_cell(rules, c)));
            *flows.entry(k).or_insert(0) += n as u64;
        }
        for (key, n) in flows {
            let (from, to) = flow_cells(key);
            let (fg, a, b, c) = part(from, "none");
            let (tg, d, e, f) = part(to, State::Gone.name());
            let group = fg
                .or(tg)
                .map(|g| rules.groups[rules.group_of(g) as usize].name.as_str())
                .unwrap_or("");
            let _ = writeln!(s, "{},{date},{group},{a},{b},{c},{d},{e},{f},{n}", rec.month);
        }
    }
    s
}

/// The text of kpis.csv: each indicator (`kpis::kpi_series`) in each month
/// where it is defined, split into measure, scope and region, with values
/// in the series' units (scaled back by the population scale) and written
/// to what they mean.
pub fn kpis_csv(rules: &Rules, h: &History) -> String {
    let mut s = String::from("month,date,series,measure,scope,region,value\n");
    let kpis = kpi_series(rules);
    for (i, rec) in h.records.iter().enumerate() {
        let date = rules.start.plus(rec.month).month_end();
        for k in &kpis {
            let (measure, scope, region) = k.parts();
            if let Some(v) = k.value(rules, &h.records, i, Grain::Month) {
                let _ = writeln!(
                    s,
                    "{},{date},{},{measure},{scope},{},{}",
                    rec.month,
                    k.name,
                    region.unwrap_or(""),
                    k.format_value(v)
                );
            }
        }
    }
    s
}

fn fmt6(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// The text of distributions.csv.
pub fn distributions_csv(rules: &Rules, h: &History) -> String {
    let mut s = String::from("distribution,count,mean,p10,p50,p90\n");
    for (d, hist) in &h.durations {
        let name = match d {
            Duration::TimeToCct(g) => {
                format!("time_to_cct_months.{}", rules.grades[*g as usize].name)
            }
            Duration::PauseLength => "pause_length_months".into(),
            Duration::TimeToReturn => "time_to_return_months".into(),
        };
        let _ = writeln!(
            s,
            "{name},{},{},{},{},{}",
            hist.len(),
            fmt6(hist.mean()),
            hist.value_at_quantile(0.1),
            hist.value_at_quantile(0.5),
            hist.value_at_quantile(0.9)
        );
    }
    s
}

/// The text of manifest.json.
pub fn manifest_json(rules: &Rules, m: &Manifest) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "careersim_version": env!("CARGO_PKG_VERSION"),
        "config_name": rules.name,
        "config_file": m.config_file,
        "config_hash": format!("{:016x}", rules.config_hash),
        "parameters": m.parameters,
        "overrides": m.overrides,
        "seed": m.seed,
        "threads": m.threads,
        "start": rules.start.to_string(),
        "months": rules.months,
        "wall_seconds": m.wall_seconds,
        "agent_months": m.agent_months,
        "continued_from_snapshot": m.continued_from.as_ref().map(|(f, _)| f),
        "snapshot_ends": m.continued_from.as_ref().map(|(_, e)| e),
    }))
    .expect("a json! value always serialises")
        + "\n"
}

/// All output files of a run.
pub fn run_files(rules: &Rules, h: &History, m: &Manifest) -> Vec<(&'static str, String)> {
    // The tables are independent: written side by side on the pool.
    let ((monthly, flows), (kpis, distributions)) = rayon::join(
        || rayon::join(|| monthly_csv(rules, h), || flows_csv(rules, h)),
        || rayon::join(|| kpis_csv(rules, h), || distributions_csv(rules, h)),
    );
    let files = vec![
        ("monthly.csv", monthly),
        ("flows.csv", flows),
        ("kpis.csv", kpis),
        ("distributions.csv", distributions),
        ("manifest.json", manifest_json(rules, m)),
    ];
    debug_assert!(files.iter().map(|f| f.0).eq(RUN_FILES));
    files
}

/// The names of `run_files`' files, in order.
pub const RUN_FILES: [&str; 5] = [
    "monthly.csv",
    "flows.csv",
    "kpis.csv",
    "distributions.csv",
    "manifest.json",
];
