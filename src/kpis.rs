//! Key indicators of a run, as series of the vocabulary (pure).

use crate::clinician::State;
use crate::ledger::MonthRecord;
use crate::rules::{GradeKind, Rules};
use crate::series::SeriesId;

/// The indicators of a run's kpis.csv, named in the series vocabulary (see
/// `series`), in a fixed order: LTFT shares, pauses and returns, CCTs,
/// recruitment rounds and intakes, then per staff group its headcount, FTE,
/// joiners, leavers, leaver rate and, where it has one, its establishment
/// and vacancies; then the same five per nursing field; with `[pensions]`,
/// retirements and retire-and-returns per group; with `[cost]`, spend by
/// category per group and in all, and the attrition cost of every course
/// and training grade.
pub fn kpi_series(rules: &Rules) -> Vec<SeriesId> {
    let mut names: Vec<String> = vec!["share.ltft.in_training".into()];
    for (i, g) in rules.groups.iter().enumerate() {
        if rules
            .grades
            .iter()
            .any(|gr| gr.group as usize == i && gr.kind == GradeKind::Training)
        {
            names.push(format!("share.ltft.{}", g.name));
        }
    }
    names.extend(
        [
            "count.on_pause.all",
            "count.pause_returns.all",
            "count.supportt_returners.all",
            "count.rtp_returners.all",
            "count.ccts.all",
        ]
        .map(String::from),
    );
    for s in &rules.schemes {
        for m in [
            "count.acceptances",
            "rate.fill",
            "count.unfilled_posts",
            "count.unplaced_applicants",
        ] {
            names.push(format!("{m}.{}", s.name));
        }
    }
    for f in &rules.inflows {
        names.push(format!("count.starts.{}", f.name));
        names.push(format!("rate.starts_vs_plan.{}", f.name));
    }
    for f in &rules.inflow_families {
        names.push(format!("count.starts.{}", f.name));
    }
    if rules.pause.capacity_per_year.is_some() {
        names.push("count.pause_approved.all".into());
        names.push("count.pause_refused.all".into());
    }
    for g in &rules.groups {
        for m in ["headcount", "fte", "count.joiners", "count.leavers", "rate.leaver"] {
            names.push(format!("{m}.{}", g.name));
        }
        if g.establishment.is_some() {
            for m in ["establishment", "vacancies", "rate.vacancy"] {
                names.push(format!("{m}.{}", g.name));
            }
        }
    }
    for f in &rules.nursing_fields {
        for m in ["headcount", "fte", "count.joiners", "count.leavers", "rate.leaver"] {
            names.push(format!("{m}.nurse_{f}"));
        }
    }
    if rules.pensions.is_some() {
        for g in &rules.groups {
            for m in ["count.retirements", "count.retire_and_return"] {
                names.push(format!("{m}.{}", g.name));
            }
        }
    }
    // Spend by category, per staff group and in all; and what the training
    // of course and training-grade leavers had cost.
    if rules.cost.is_some() {
        for sc in std::iter::once("all").chain(rules.groups.iter().map(|g| g.name.as_str())) {
            for m in [
                "cost.training",
                "cost.pay",
                "cost.recruitment",
                "cost.programme",
                "cost.total",
            ] {
                names.push(format!("{m}.{sc}"));
            }
        }
        for g in rules.grades.iter().filter(|g| g.kind != GradeKind::Employed) {
            names.push(format!("cost.attrition.{}", g.name));
        }
    }
    names
        .iter()
        .map(|n| SeriesId::parse(rules, n).expect("KPI names are built from the rules' own names"))
        .collect()
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
