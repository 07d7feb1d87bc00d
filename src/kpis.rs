//! Key indicators computed from the closed monthly accounts (pure).

use crate::clinician::State;
use crate::ledger::{MonthRecord, flow_cells};
use crate::mechanisms::{establishment, leaving};
use crate::rules::{GradeKind, Rules};

/// KPIs of one month as (name, value), in a fixed order.
pub fn month_kpis(rules: &Rules, prev: Option<&MonthRecord>, rec: &MonthRecord) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let ng = rules.groups.len();
    let mut trainees = vec![0u64; ng];
    let mut ltft = vec![0u64; ng];
    let mut paused = 0u64;
    let mut employed = vec![0u64; ng];
    let mut headcount = vec![0u64; ng];
    let mut fte = vec![0u64; ng];
    let mut fte_in_post = vec![0u64; ng];
    for (cell, &n) in rec.stock.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let (g, s, _) = rules.cell_parts(cell);
        let grp = rules.group_of(g) as usize;
        let training = rules.grades[g as usize].kind == GradeKind::Training;
        match s {
            State::Trainee if training => trainees[grp] += n as u64,
            State::Ltft => ltft[grp] += n as u64,
            State::Pause => paused += n as u64,
            _ => {}
        }
        if leaving::is_employed(s) {
            employed[grp] += n as u64;
            fte_in_post[grp] += rec.fte[cell];
        }
        if s != State::Leaver {
            headcount[grp] += n as u64;
        }
        fte[grp] += rec.fte[cell];
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let (t, l): (u64, u64) = (trainees.iter().sum(), ltft.iter().sum());
    out.push(("ltft_share.trainees".into(), ratio(l as f64, (t + l) as f64)));
    for (i, g) in rules.groups.iter().enumerate() {
        if trainees[i] + ltft[i] > 0 {
            out.push((
                format!("ltft_share.{}", g.name),
                ratio(ltft[i] as f64, (trainees[i] + ltft[i]) as f64),
            ));
        }
    }
    out.push(("trainees_on_pause".into(), paused as f64));

    let mut returns_from_pause = 0u64;
    let mut supportt = 0u64;
    let mut rtp = 0u64;
    let mut leavers = vec![0u64; ng];
    for &(key, n) in &rec.flows {
        let (from, to) = flow_cells(key);
        let f = from.map(|c| rules.cell_parts(c));
        let t = to.map(|c| rules.cell_parts(c));
        if let Some((g, s, _)) = f {
            if s == State::Pause && t.is_some_and(|t| !matches!(t.1, State::Pause | State::Leaver)) {
                returns_from_pause += n as u64;
            }
            if leaving::is_leaving(Some(s), t.map(|t| t.1)) {
                leavers[rules.group_of(g) as usize] += n as u64;
            }
        }
        // Returns through support: from pause (SuppoRTT) or the leaver pool.
        if let (Some((_, State::Pause | State::Leaver, _)), Some((g, State::Returner, _))) = (f, t) {
            if rules.grades[g as usize].kind == GradeKind::Training {
                supportt += n as u64;
            } else {
                rtp += n as u64;
            }
        }
    }
    out.push(("returns_from_pause".into(), returns_from_pause as f64));
    out.push(("supportt_returners".into(), supportt as f64));
    out.push(("rtp_returners".into(), rtp as f64));
    out.push(("ccts_awarded".into(), rec.counters.ccts as f64));
    let k = &rec.counters;
    for (i, s) in rules.schemes.iter().enumerate() {
        if k.posts_offered[i] > 0 || k.applicants[i] > 0 {
            out.push((
                format!("fill_rate.{}", s.name),
                ratio(k.posts_filled[i] as f64, k.posts_offered[i] as f64),
            ));
            out.push((
                format!("unfilled_posts.{}", s.name),
                (k.posts_offered[i] - k.posts_filled[i]) as f64,
            ));
            out.push((format!("unplaced_applicants.{}", s.name), k.unplaced[i] as f64));
        }
    }
    for (i, f) in rules.inflows.iter().enumerate() {
        if k.places[i] > 0 {
            out.push((
                format!("starts_vs_plan.{}", f.name),
                ratio(k.starts[i] as f64, k.places[i] as f64),
            ));
        }
    }
    if rules.pause.capacity_per_year.is_some() {
        out.push(("pause_approved".into(), k.pause_approved as f64));
        out.push(("pause_refused".into(), k.pause_refused as f64));
    }
    let prev_employed: Vec<u64> = match prev {
        Some(p) => {
            let mut e = vec![0u64; ng];
            for (cell, &n) in p.stock.iter().enumerate() {
                let (g, s, _) = rules.cell_parts(cell);
                if leaving::is_employed(s) {
                    e[rules.group_of(g) as usize] += n as u64;
                }
            }
            e
        }
        None => employed.clone(),
    };
    for (i, g) in rules.groups.iter().enumerate() {
        out.push((format!("in_employment.{}", g.name), employed[i] as f64));
        out.push((format!("headcount.{}", g.name), headcount[i] as f64));
        out.push((format!("fte.{}", g.name), fte[i] as f64 / 10.0));
        out.push((format!("leavers.{}", g.name), leavers[i] as f64));
        out.push((
            format!("leaver_rate.{}", g.name),
            ratio(leavers[i] as f64, prev_employed[i] as f64),
        ));
        if g.establishment.is_some() {
            let est = establishment::of_group(rules, &rec.counters.establishment_fte, i as u8, None);
            let vacant = establishment::vacancies(est, fte_in_post[i] as f64 / 10.0);
            out.push((format!("establishment_fte.{}", g.name), est));
            out.push((format!("vacancies.{}", g.name), vacant));
            out.push((format!("vacancy_rate.{}", g.name), ratio(vacant, est)));
        }
    }
    out
}

/// Headcount by `group/State` (state in the benchmark's capitalised form),
/// excluding the leaver pool — the counts career-lite reports.
pub fn counts_by_group_state(rules: &Rules, rec: &MonthRecord) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for g in &rules.groups {
        for s in State::CAREER {
            if s != State::Leaver {
                out.insert(format!("{}/{s:?}", g.name), 0);
            }
        }
    }
    for (cell, &n) in rec.stock.iter().enumerate() {
        let (g, s, _) = rules.cell_parts(cell);
        if n > 0 && s != State::Leaver {
            *out.entry(format!("{}/{s:?}", rules.groups[rules.group_of(g) as usize].name))
                .or_insert(0) += n as u64;
        }
    }
    out
}
