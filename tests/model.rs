//! Model-level guarantees: exact monthly balance, capacity never exceeded,
//! the pause cap, snapshot/resume identity, hazard rates within standard
//! errors.

mod common;
use std::collections::BTreeMap;
use std::sync::Arc;

use careersim::clinician::State;
use careersim::config::ConfigSource;
use careersim::ledger::flow_cells;
use careersim::rules::Rules;
use careersim::snapshot::Snapshot;
use careersim::{Simulation, load_rules};
use common::*;

fn small(overrides: &[&str]) -> Arc<Rules> {
    let src = ConfigSource::read(&fixture("valid_small.toml")).unwrap();
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Arc::new(load_rules(&src, &o).unwrap())
}

type Cell = (String, String, String, String);

/// Checks stock(m) = stock(m-1) + in - out for every cell from the CSV files.
fn assert_balanced(dir: &std::path::Path) -> usize {
    let (_, monthly) = read_csv(&dir.join("monthly.csv"));
    let (_, flows) = read_csv(&dir.join("flows.csv"));
    let mut stock: BTreeMap<(u32, Cell), i64> = BTreeMap::new();
    let mut months = 0;
    for r in &monthly {
        let m: u32 = r[0].parse().unwrap();
        months = months.max(m);
        stock.insert(
            (m, (r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone())),
            r[6].parse().unwrap(),
        );
    }
    let mut net: BTreeMap<(u32, Cell), i64> = BTreeMap::new();
    for r in &flows {
        let m: u32 = r[0].parse().unwrap();
        let n: i64 = r[9].parse().unwrap();
        if r[3] != "none" {
            *net.entry((m, (r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone())))
                .or_default() -= n;
        }
        if r[7] != "gone" {
            *net.entry((m, (r[2].clone(), r[6].clone(), r[7].clone(), r[8].clone())))
                .or_default() += n;
        }
    }
    let cells: std::collections::BTreeSet<Cell> = stock
        .keys()
        .map(|k| k.1.clone())
        .chain(net.keys().map(|k| k.1.clone()))
        .collect();
    let mut checked = 0;
    for m in 1..=months {
        for c in &cells {
            let prev = stock.get(&(m - 1, c.clone())).copied().unwrap_or(0);
            let now = stock.get(&(m, c.clone())).copied().unwrap_or(0);
            let d = net.get(&(m, c.clone())).copied().unwrap_or(0);
            assert_eq!(now, prev + d, "month {m} cell {c:?}: {prev} + {d} != {now}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_cell_balances_every_month() {
    let tmp = tempdir();
    let dir = tmp.path().join("o");
    run_to(&dir, &[fixture("valid_small.toml").to_str().unwrap()]);
    let checked = assert_balanced(&dir);
    assert!(checked > 36 * 30, "only {checked} cell-months checked");
    let dir = tmp.path().join("b");
    run_to(&dir, &["--months", "14"]);
    assert_balanced(&dir);
}

#[test]
fn capacity_is_never_exceeded() {
    let rules = small(&["recruitment.specialty.apply_prob=0.9"]);
    let mut sim = Simulation::new(rules.clone(), 3, None);
    for _ in 0..rules.months {
        sim.step_month();
    }
    let h = sim.history();
    let spec = rules.grade_index("specialty").unwrap();
    let mut rounds = 0;
    for rec in &h.records[1..] {
        let k = &rec.counters;
        assert!(k.posts_filled[0] <= k.posts_offered[0]);
        assert_eq!(k.posts_filled[0] + k.unplaced[0], k.applicants[0]);
        // Recruited = flows into specialty from another grade.
        let recruited: u32 = rec
            .flows
            .iter()
            .filter(|(key, _)| {
                let (f, t) = flow_cells(*key);
                let fg = f.map(|c| rules.cell_parts(c).0);
                let tg = t.map(|c| rules.cell_parts(c).0);
                fg.is_some() && fg != Some(spec) && tg == Some(spec)
            })
            .map(|x| x.1)
            .sum();
        assert_eq!(recruited, k.posts_filled[0], "month {}", rec.month);
        if k.posts_offered[0] > 0 {
            rounds += 1;
            // 200 posts a year, 75% in August and 25% in February.
            assert!([150, 50].contains(&k.posts_offered[0]), "{}", k.posts_offered[0]);
            // With this many applicants every post fills.
            assert_eq!(k.posts_filled[0], k.posts_offered[0]);
        }
        for i in 0..rules.inflows.len() {
            assert!(k.starts[i] <= k.places[i].min(k.inflow_applicants[i]));
        }
        assert!(k.pause_approved <= 40);
    }
    assert_eq!(rounds, 6, "two rounds a year for three years");
    // Nurse intake of 2020: 400 places, 350 applicants.
    let sept_2020 = &h.records[8].counters;
    assert_eq!(
        (sept_2020.places[1], sept_2020.inflow_applicants[1], sept_2020.starts[1]),
        (400, 350, 350)
    );
}

#[test]
fn pause_approvals_respect_the_yearly_capacity_and_the_cap_on_months() {
    let rules = small(&["hazard.pause_uptake.monthly_prob=0.2", "model.months=30"]);
    let mut sim = Simulation::new(rules.clone(), 11, None);
    let mut approved_by_year: BTreeMap<i32, u32> = BTreeMap::new();
    for _ in 0..rules.months {
        sim.step_month();
        for c in sim.clinicians() {
            if c.state == State::Pause {
                assert!(c.paused_months <= 12, "paused {} months", c.paused_months);
            }
        }
        let rec = sim.history().records.last().unwrap();
        let date = rules.start.plus(rec.month);
        let approval_year = if date.month >= 8 { date.year } else { date.year - 1 };
        *approved_by_year.entry(approval_year).or_default() += rec.counters.pause_approved;
    }
    assert!(approved_by_year.values().all(|&n| n <= 40), "{approved_by_year:?}");
    // Demand far exceeds capacity, so each full approval year uses all 40.
    assert_eq!(approved_by_year[&2020], 40);
    let refused: u32 = sim.history().records.iter().map(|r| r.counters.pause_refused).sum();
    assert!(refused > 100, "refused {refused}");
}

#[test]
fn a_resumed_run_is_identical_to_a_run_in_one_go() {
    // With a funded establishment, carried in the records across the resume.
    let rules = small(&[
        "group.nurse.vacancy_rate_at_start=0.1",
        "group.nurse.establishment_growth_annual_rate={ 2020 = 0.03, 2021 = 0.01 }",
    ]);
    let mut whole = Simulation::new(rules.clone(), 5, None);
    for _ in 0..24 {
        whole.step_month();
    }
    let mut first = Simulation::new(rules.clone(), 5, None);
    for _ in 0..13 {
        first.step_month();
    }
    let bytes = first.snapshot().to_bytes();
    let snap = Snapshot::from_bytes(&bytes).unwrap();
    let mut resumed = Simulation::restore(rules.clone(), snap).unwrap();
    for _ in 13..24 {
        resumed.step_month();
    }
    assert_eq!(whole.history().records, resumed.history().records);
    assert!(
        whole.history().records[24]
            .counters
            .establishment_fte
            .iter()
            .any(|&e| e > 0.0)
    );
    assert_eq!(whole.clinicians(), resumed.clinicians());
    let d = |s: &Simulation| {
        s.history()
            .durations
            .iter()
            .map(|(k, h)| (*k, h.len(), h.mean().to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(d(&whole), d(&resumed));

    // Corrupt, truncated and foreign snapshots are refused clearly.
    let e = Snapshot::from_bytes(&bytes[..bytes.len() / 2]).unwrap_err().to_string();
    assert!(e.contains("corrupt"), "{e}");
    let e = Snapshot::from_bytes(b"not a snapshot at all").unwrap_err().to_string();
    assert!(e.contains("header"), "{e}");
    let mut v2 = bytes.clone();
    v2[8] = 99;
    let e = Snapshot::from_bytes(&v2).unwrap_err().to_string();
    assert!(e.contains("format version 99"), "{e}");
    let other = small(&["hazard.nurse_leaving.annual_rate=0.2"]);
    let e = Simulation::restore(other, Snapshot::from_bytes(&bytes).unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("config"), "{e}");
}

#[test]
fn leaving_hazard_matches_its_annual_rate_within_standard_errors() {
    nurse_leaving_in_month(&[], 1, 0.1);
}

/// A yearly multiplier scales the annual rate in its year and no other:
/// the nurse leaving rate of 10% doubled in 2021 (month 13 is January 2021),
/// as it was in 2020 (month 1) before; and set to zero, no nurse leaves.
#[test]
fn a_yearly_multiplier_changes_the_rate_in_its_year() {
    let doubled = "hazard.nurse_leaving.multiplier_by_year={ 2020 = 1.0, 2021 = 2.0 }";
    nurse_leaving_in_month(&[doubled], 1, 0.1);
    nurse_leaving_in_month(&[doubled], 13, 0.2);
    let none = "hazard.nurse_leaving.multiplier_by_year={ 2020 = 0.0 }";
    assert_eq!(nurse_leavers(&small(&[none]), 3, 1), 0);
    // A run with the tables switching in January resumes identically.
    let rules = small(&[doubled]);
    let mut whole = Simulation::new(rules.clone(), 5, None);
    let mut first = Simulation::new(rules.clone(), 5, None);
    for m in 0..20 {
        whole.step_month();
        if m < 10 {
            first.step_month();
        }
    }
    let snap = Snapshot::from_bytes(&first.snapshot().to_bytes()).unwrap();
    let mut resumed = Simulation::restore(rules, snap).unwrap();
    for _ in 10..20 {
        resumed.step_month();
    }
    assert_eq!(whole.history().records, resumed.history().records);
}

/// Qualified nurses leaving in `month` (stepped from month 0) under `rules`.
fn nurse_leavers(rules: &Arc<Rules>, seed: u64, month: usize) -> u64 {
    let mut sim = Simulation::new(rules.clone(), seed, None);
    for _ in 0..month {
        sim.step_month();
    }
    nurse_leavers_in(rules, &sim.history().records[month])
}

/// Qualified nurses who left in one month's record.
fn nurse_leavers_in(rules: &Rules, rec: &careersim::ledger::MonthRecord) -> u64 {
    let nurse = rules.grade_index("nurse").unwrap();
    rec.flows
        .iter()
        .filter(|(k, _)| {
            let (f, t) = flow_cells(*k);
            f.map(|c| rules.cell_parts(c))
                .is_some_and(|(g, s, _)| g == nurse && s == State::Qualified)
                && t.map(|c| rules.cell_parts(c).1) == Some(State::Leaver)
        })
        .map(|x| x.1 as u64)
        .sum::<u64>()
}

/// In `month`, qualified nurses leave with p = 1 - (1 - annual)^(1/12)
/// unless they retired first (age >= 58 y: 0.05). Pooled over seeds.
fn nurse_leaving_in_month(overrides: &[&str], month: usize, annual: f64) {
    let rules = small(overrides);
    let p = 1.0 - (1.0 - annual).powf(1.0 / 12.0);
    let nurse = rules.grade_index("nurse").unwrap();
    let (mut observed, mut expected, mut var) = (0u64, 0.0, 0.0);
    for seed in 0..30 {
        let mut sim = Simulation::new(rules.clone(), seed, None);
        for _ in 1..month {
            sim.step_month();
        }
        for c in sim.clinicians() {
            if c.grade == nurse && c.state == State::Qualified {
                let q = if c.age_months + 1 >= 58 * 12 { 0.95 * p } else { p };
                expected += q;
                var += q * (1.0 - q);
            }
        }
        sim.step_month();
        observed += nurse_leavers_in(&rules, &sim.history().records[month]);
    }
    let z = (observed as f64 - expected) / var.sqrt();
    assert!(z.abs() < 4.0, "observed {observed}, expected {expected:.1}, z {z:.2}");
}

#[test]
fn carried_stocks_equal_a_recount_of_the_world_every_month() {
    // Stocks are carried by flows; a recount of every clinician in the
    // world must give the same headcount and FTE in every cell.
    for (rules, agents) in [
        (small(&[]), None),
        (
            Arc::new(load_rules(&careersim::load::career_lite_source(), &["model.months=30".into()]).unwrap()),
            Some(5_000),
        ),
    ] {
        let mut sim = Simulation::new(rules.clone(), 9, agents);
        for _ in 0..rules.months {
            sim.step_month();
            let (stock, fte) = sim.recount();
            let last = sim.history().records.last().unwrap().clone();
            assert_eq!(last.stock, stock, "{} month {}", rules.name, last.month);
            assert_eq!(last.fte, fte, "{} month {}", rules.name, last.month);
        }
    }
}

#[test]
fn returner_and_pause_kpis_match_the_flows_file() {
    let tmp = tempdir();
    let dir = tmp.path().join("o");
    run_to(&dir, &[fixture("valid_small.toml").to_str().unwrap()]);
    let (header, kpis) = read_csv(&dir.join("kpis.csv"));
    assert_eq!(
        header,
        ["month", "date", "series", "measure", "scope", "region", "value"]
    );
    let kpi = |name: &str| -> f64 {
        kpis.iter()
            .filter(|r| r[2] == name)
            .map(|r| r[6].parse::<f64>().unwrap())
            .sum()
    };
    let (_, flows) = read_csv(&dir.join("flows.csv"));
    let count = |pred: &dyn Fn(&Vec<String>) -> bool| -> f64 {
        flows
            .iter()
            .filter(|r| pred(r))
            .map(|r| r[9].parse::<f64>().unwrap())
            .sum()
    };
    let training = |g: &str| g == "foundation" || g == "specialty";
    let supportt = count(&|r| training(&r[3]) && (r[4] == "pause" || r[4] == "leaver") && r[7] == "returner");
    let rtp = count(&|r| !training(&r[3]) && (r[4] == "pause" || r[4] == "leaver") && r[7] == "returner");
    let from_pause = count(&|r| r[4] == "pause" && !["pause", "leaver", "gone"].contains(&r[7].as_str()));
    assert!(supportt > 0.0 && rtp > 0.0 && from_pause > 0.0);
    assert_eq!(kpi("count.supportt_returners.all"), supportt);
    assert_eq!(kpi("count.rtp_returners.all"), rtp);
    assert_eq!(kpi("count.pause_returns.all"), from_pause);
    // Measure, scope and region are the series name's parts.
    let row = kpis.iter().find(|r| r[2] == "rate.leaver.nurse").unwrap();
    assert_eq!(&row[3..6], ["rate.leaver", "nurse", ""]);
}

fn records(rules: &Arc<Rules>, seed: u64, months: u32) -> Vec<careersim::ledger::MonthRecord> {
    let mut sim = Simulation::new(rules.clone(), seed, None);
    for _ in 0..months {
        sim.step_month();
    }
    sim.take_history().records
}

/// Series of the vocabulary agree with the KPIs and stocks they restate.
#[test]
fn series_agree_with_kpis_and_stocks() {
    use careersim::series::{Grain, SeriesId};
    let rules = small(&[]);
    let recs = records(&rules, 5, 24);
    let v = |name: &str, m: usize, g: Grain| {
        SeriesId::parse(&rules, name)
            .unwrap()
            .value(&rules, &recs, m, g)
            .unwrap()
    };
    // Restated from the records directly: employed headcount at the month
    // end and exits from active service in the month.
    for (m, rec) in recs.iter().enumerate().skip(1) {
        for g in ["doctor", "nurse"] {
            let gi = rules.group_index(g).unwrap();
            let mut employed = 0u64;
            for (cell, &n) in rec.stock.iter().enumerate() {
                let (gr, st, _) = rules.cell_parts(cell);
                if rules.group_of(gr) == gi && careersim::mechanisms::leaving::is_employed(st) {
                    employed += n as u64;
                }
            }
            let mut leavers = 0u64;
            for &(key, n) in &rec.flows {
                let (f, t) = careersim::ledger::flow_cells(key);
                if let Some((gr, st, _)) = f.map(|c| rules.cell_parts(c))
                    && rules.group_of(gr) == gi
                    && careersim::mechanisms::leaving::is_leaving(Some(st), t.map(|c| rules.cell_parts(c).1))
                {
                    leavers += n as u64;
                }
            }
            assert_eq!(
                v(&format!("headcount.{g}"), m, Grain::Month),
                employed as f64,
                "month {m}"
            );
            assert_eq!(
                v(&format!("count.leavers.{g}"), m, Grain::Month),
                leavers as f64,
                "month {m}"
            );
        }
    }
    // A year is the sum of its months; a stock's year value is its month-end.
    let months: f64 = (13..=24).map(|m| v("count.leavers.nurse", m, Grain::Month)).sum();
    assert_eq!(v("count.leavers.nurse", 24, Grain::Year), months);
    assert_eq!(v("fte.nurse", 24, Grain::Year), v("fte.nurse", 24, Grain::Month));
    // The rate divides by the mean employed headcount at the starts of the months.
    let mean: f64 = (12..24).map(|m| v("headcount.nurse", m, Grain::Month)).sum::<f64>() / 12.0;
    assert!((v("rate.leaver.nurse", 24, Grain::Year) - months / mean).abs() < 1e-12);
    assert!(
        SeriesId::parse(&rules, "count.leavers.nurse")
            .unwrap()
            .value(&rules, &recs, 11, Grain::Year)
            .is_none()
    );
}

/// A 1-in-k sample divides the stocks by k and the series multiply back.
#[test]
fn population_scale_divides_inputs_and_scales_counts_back() {
    use careersim::rules::Initial;
    use careersim::series::{Grain, SeriesId};
    let full = small(&[]);
    let scaled = small(&["model.population_scale=5"]);
    let (Initial::Stocks(a), Initial::Stocks(b)) = (&full.initial, &scaled.initial) else {
        panic!("stock layouts")
    };
    for (x, y) in a.iter().zip(b) {
        assert_eq!(y.headcount, (x.headcount as f64 / 5.0).round() as u64);
    }
    let recs = records(&scaled, 5, 0);
    let employed_nurses: u64 = b
        .iter()
        .filter(|s| scaled.grades[s.grade as usize].group == scaled.group_index("nurse").unwrap())
        .filter(|s| careersim::mechanisms::leaving::is_employed(s.state))
        .map(|s| s.headcount)
        .sum();
    let hc = SeriesId::parse(&scaled, "headcount.nurse")
        .unwrap()
        .value(&scaled, &recs, 0, Grain::Month)
        .unwrap();
    assert_eq!(hc, 5.0 * employed_nurses as f64);
    assert!(
        load_rules(
            &ConfigSource::read(&fixture("valid_small.toml")).unwrap(),
            &["model.population_scale=0.5".into()]
        )
        .unwrap_err()
        .to_string()
        .contains("model.population_scale")
    );
}

/// `time_to_cct.<grade>` restates the time-to-CCT histograms year by year:
/// the monthly counters hold exactly the CCTs the histograms hold, the
/// pooled value is the CCT-weighted mean of the pathways, and no pathway
/// is shorter than its whole-time duration.
#[test]
fn time_to_cct_series_restate_the_duration_histograms() {
    use careersim::ledger::Duration;
    use careersim::series::{Grain, SeriesId};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = ConfigSource::read(&root.join("configs/england_baseline.toml")).unwrap();
    let rules = Arc::new(load_rules(&src, &["model.population_scale=50".to_string()]).unwrap());
    let months = 120u32;
    let mut sim = Simulation::new(rules.clone(), 3, None);
    for _ in 0..months {
        sim.step_month();
    }
    let h = sim.take_history();
    let value = |name: &str, m: usize| {
        SeriesId::parse(&rules, name)
            .unwrap()
            .value(&rules, &h.records, m, Grain::Year)
    };
    let cct_grades: Vec<u8> = (0..rules.grades.len() as u8)
        .filter(|&g| rules.grades[g as usize].awards_cct)
        .collect();
    assert!(cct_grades.len() >= 2);
    for &g in &cct_grades {
        let (n, sum) = h.records.iter().fold((0u64, 0u64), |acc, r| {
            let (k, m) = r.counters.cct_months.get(&g).copied().unwrap_or((0, 0));
            (acc.0 + k as u64, acc.1 + m)
        });
        // A small specialty may award no CCT in ten years at 1 in 50.
        let Some(hist) = h.durations.get(&Duration::TimeToCct(g)) else {
            assert_eq!(n, 0, "grade {g}");
            continue;
        };
        assert_eq!(n, hist.len(), "grade {g}");
        // The histogram keeps 3 significant digits.
        let mean = sum as f64 / n as f64;
        assert!((hist.mean() - mean).abs() < 1e-3 * mean, "{} vs {mean}", hist.mean());
    }
    let gp = rules.grade_index("gp_training").unwrap();
    let mut years_with_ccts = 0;
    for m in (12..=months as usize).step_by(12) {
        let Some(all) = value("time_to_cct.all", m) else {
            continue;
        };
        years_with_ccts += 1;
        let (mut n, mut weighted) = (0u64, 0.0);
        for &g in &cct_grades {
            let k: u64 = h.records[m - 11..=m]
                .iter()
                .map(|r| r.counters.cct_months.get(&g).map_or(0, |c| c.0 as u64))
                .sum();
            if k > 0 {
                let name = format!("time_to_cct.{}", rules.grades[g as usize].name);
                weighted += value(&name, m).unwrap() * k as f64;
                n += k;
            }
        }
        assert!((all - weighted / n as f64).abs() < 1e-9, "month {m}");
        if let Some(v) = value("time_to_cct.gp_training", m) {
            let wte = rules.grades[gp as usize].duration_tenths as f64 / 10.0;
            assert!(v >= wte, "month {m}: GP training took {v} months, less than {wte}");
        }
    }
    assert!(years_with_ccts >= 5, "{years_with_ccts}");
}

/// The funded establishment starts at FTE in post / (1 - vacancy rate),
/// compounds to its yearly growth over twelve months, and vacancies are the
/// establishment less FTE in post (kpis.csv writes the same series).
#[test]
fn vacancies_are_the_establishment_less_fte_in_post() {
    use careersim::series::{Grain, SeriesId};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = ConfigSource::read(&root.join("configs/england_baseline.toml")).unwrap();
    let set = [
        "model.population_scale=50".to_string(),
        "group.nurse.vacancy_rate_at_start=0.1".to_string(),
        "group.nurse.establishment_growth_annual_rate={ 2015 = 0.02, 2016 = 0.05 }".to_string(),
    ];
    let rules = Arc::new(load_rules(&src, &set).unwrap());
    assert_eq!(rules.start.to_string(), "2015-09");
    let recs = records(&rules, 9, 28);
    let v = |name: &str, m: usize| {
        SeriesId::parse(&rules, name)
            .unwrap()
            .value(&rules, &recs, m, Grain::Month)
            .unwrap()
    };
    let (est0, fte0) = (v("establishment.nurse", 0), v("fte.nurse", 0));
    assert!((est0 * 0.9 - fte0).abs() < 1e-6 * fte0, "{est0} {fte0}");
    assert!((v("vacancies.nurse", 0) - 0.1 * est0).abs() < 1e-6 * est0);
    // Months 1-3 are dated 2015 (Oct-Dec: +2% a year), 4-15 are 2016 (+5%).
    let expect = est0 * 1.02f64.powf(3.0 / 12.0) * 1.05;
    let got = v("establishment.nurse", 15);
    assert!((got - expect).abs() < 1e-9 * expect, "{got} vs {expect}");
    for m in [0, 12, 28] {
        let (est, fte) = (v("establishment.nurse", m), v("fte.nurse", m));
        assert!((v("vacancies.nurse", m) - (est - fte).max(0.0)).abs() < 1e-6);
        assert!((v("rate.vacancy.nurse", m) - (est - fte).max(0.0) / est).abs() < 1e-12);
    }
    let e = SeriesId::parse(&rules, "vacancies.doctor").unwrap_err();
    assert!(e.contains("no establishment"), "{e}");
}

/// The England baseline's specialties: every recruitment round of every
/// specialty scheme (and every other into a training grade) places at most
/// its posts in each region — by NHS England region, its ICSs' recruits
/// summed, in the England baseline (the flows into
/// the specialty grade from other grades, by region), and the specialty
/// families sum to the template series (`rate.fill.higher_specialty` is the
/// family's filled over offered).
#[test]
fn specialty_posts_are_never_exceeded_in_any_region() {
    use careersim::mechanisms::recruitment::posts_by_region;
    use careersim::series::{Grain, SeriesId};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = ConfigSource::read(&root.join("configs/england_baseline.toml")).unwrap();
    let rules = Arc::new(load_rules(&src, &["model.population_scale=20".to_string()]).unwrap());
    assert!(
        rules.scheme_families.len() >= 3,
        "core, run-through and higher families"
    );
    let mut sim = Simulation::new(rules.clone(), 5, None);
    for _ in 0..60 {
        sim.step_month();
    }
    let h = sim.take_history();
    let mut rounds = 0;
    for rec in &h.records[1..] {
        let date = rules.start.plus(rec.month);
        // Schemes into training grades (entered by recruitment only).
        for (si, s) in rules
            .schemes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.into_state == State::Trainee)
        {
            let Some(round) = s.months.iter().position(|&m| m == date.month) else {
                continue;
            };
            let posts = posts_by_region(s, round, date.year);
            // Posts are by recruitment region (the NHS England region of an ICS).
            let mut placed = vec![0u64; posts.len()];
            for &(key, n) in &rec.flows {
                let (f, t) = flow_cells(key);
                let (Some(f), Some(t)) = (f, t) else { continue };
                let (fg, _, _) = rules.cell_parts(f);
                let (tg, ts, tr) = rules.cell_parts(t);
                if tg == s.into_grade && fg != tg && ts == s.into_state {
                    placed[rules.recruitment_region(tr) as usize] += n as u64;
                }
            }
            for r in 0..posts.len() {
                assert!(
                    placed[r] <= posts[r],
                    "{} {date:?} region {r}: {} > {}",
                    s.name,
                    placed[r],
                    posts[r]
                );
            }
            assert_eq!(
                placed.iter().sum::<u64>(),
                rec.counters.posts_filled[si] as u64,
                "{}",
                s.name
            );
            rounds += (rec.counters.posts_offered[si] > 0) as u32;
        }
    }
    assert!(rounds > 50, "{rounds}");
    // A family's fill rate is its members' filled over offered.
    let fam = rules
        .scheme_families
        .iter()
        .find(|f| f.name == "higher_specialty")
        .unwrap();
    let m = 36;
    let (mut filled, mut offered) = (0u64, 0u64);
    for rec in &h.records[m - 11..=m] {
        for &i in &fam.members {
            filled += rec.counters.posts_filled[i] as u64;
            offered += rec.counters.posts_offered[i] as u64;
        }
    }
    let v = SeriesId::parse(&rules, "rate.fill.higher_specialty")
        .unwrap()
        .value(&rules, &h.records, m, Grain::Year)
        .unwrap();
    assert!((v - filled as f64 / offered as f64).abs() < 1e-12);
}

/// A specialty's time to CCT follows its configured training length: in a
/// model with no leaving, pause or LTFT, every CCT of a run-through
/// specialty comes exactly its WTE months after recruitment; with every
/// trainee at 0.5 WTE from its first month, about twice that.
#[test]
fn a_specialty_trains_for_its_configured_length_pro_rata_when_ltft() {
    use careersim::series::{Grain, SeriesId};
    let text = std::fs::read_to_string(fixture("specialties_small.toml")).unwrap();
    let run = |extra: &str| {
        let src = ConfigSource {
            file: "specialties_small.toml".into(),
            text: format!("{text}\n{extra}"),
        };
        let rules = Arc::new(load_rules(&src, &[]).unwrap());
        let mut sim = Simulation::new(rules.clone(), 11, None);
        for _ in 0..rules.months {
            sim.step_month();
        }
        let h = sim.take_history();
        (rules, h)
    };
    let (rules, h) = run("");
    // Recruited in August 2020 and 2021: CCTs after exactly 24 and 36 months.
    let total_ccts: u32 = h.records.iter().map(|r| r.counters.ccts).sum();
    assert!(total_ccts > 100, "{total_ccts}");
    let cct_at = |g: &str| {
        let gi = rules.grade_index(g).unwrap();
        h.records
            .iter()
            .filter(|r| r.counters.cct_months.get(&gi).is_some_and(|c| c.0 > 0))
            .map(|r| r.counters.cct_months[&gi].1 / r.counters.cct_months[&gi].0 as u64)
            .collect::<Vec<_>>()
    };
    assert!(cct_at("rt_short").iter().all(|&m| m == 24), "{:?}", cct_at("rt_short"));
    assert!(cct_at("rt_long").iter().all(|&m| m == 36), "{:?}", cct_at("rt_long"));
    // The series says the same (the 2022 CCTs of the 24-month specialty).
    let v = SeriesId::parse(&rules, "time_to_cct.rt_short")
        .unwrap()
        .value(&rules, &h.records, 26, Grain::Year)
        .unwrap();
    assert_eq!(v, 24.0);
    let (_, h2) = run(
        "[[hazard]]\nname = \"ltft\"\ngrades = [\"rt_short\", \"rt_long\"]\nstate = \"trainee\"\nto = \"ltft\"\nmonthly_prob = 1.0\nfte = 0.5\n",
    );
    let months: Vec<u64> = h2
        .records
        .iter()
        .flat_map(|r| {
            r.counters
                .cct_months
                .values()
                .filter(|c| c.0 > 0)
                .map(|c| c.1 / c.0 as u64)
        })
        .collect();
    assert!(!months.is_empty());
    // 24 WTE months at 0.5 WTE: 48 months, give or take the month of the
    // switch (the 36-month specialty's 72 are past the run's end).
    assert!(months.iter().all(|&m| (47..=49).contains(&m)), "{months:?}");
}

/// The England baseline at its finest grain: 42 ICSs, nursing fields,
/// nursing associates, specialties. Scale 20, seven years (nursing
/// associates first qualify in 2019 and convert two years later).
fn england_at_grain() -> (Arc<Rules>, careersim::schedule::History) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = ConfigSource::read(&root.join("configs/england_baseline.toml")).unwrap();
    let rules = Arc::new(load_rules(&src, &["model.population_scale=20".to_string()]).unwrap());
    let mut sim = Simulation::new(rules.clone(), 11, None);
    for m in 0..84 {
        sim.step_month();
        if m % 12 == 11 {
            let (stock, fte) = sim.recount();
            let last = sim.history().records.last().unwrap();
            assert_eq!(last.stock, stock, "recount, month {}", last.month);
            assert_eq!(last.fte, fte, "recount, month {}", last.month);
        }
    }
    (rules.clone(), sim.take_history())
}

/// Every (grade, state, ICS) cell — specialty and nursing-field grades
/// included — balances every month: stock = last month's + flows in -
/// flows out; and an NHS England region's series are the sums of its
/// ICSs'.
#[test]
fn every_ics_and_field_cell_balances_and_regions_sum_their_icss() {
    use careersim::series::{Grain, SeriesId};
    let (rules, h) = england_at_grain();
    assert_eq!((rules.regions.len(), rules.region_groups.len()), (42, 7));
    assert_eq!(rules.nursing_fields.len(), 4);
    for w in h.records.windows(2) {
        let mut net = vec![0i64; rules.n_stock_cells()];
        for &(key, n) in &w[1].flows {
            let (f, t) = flow_cells(key);
            if let Some(f) = f {
                net[f] -= n as i64;
            }
            if let Some(t) = t {
                net[t] += n as i64;
            }
        }
        for (cell, d) in net.iter().enumerate() {
            assert_eq!(
                w[1].stock[cell] as i64,
                w[0].stock[cell] as i64 + d,
                "month {} cell {:?}",
                w[1].month,
                rules.cell_parts(cell)
            );
        }
    }
    let m = 83;
    let value = |name: &str| {
        SeriesId::parse(&rules, name)
            .unwrap()
            .value(&rules, &h.records, m, Grain::Year)
            .unwrap()
    };
    for (gi, region) in rules.region_groups.iter().enumerate() {
        let icss: Vec<&String> = rules
            .regions
            .iter()
            .enumerate()
            .filter(|(r, _)| rules.region_group_of[*r] as usize == gi)
            .map(|(_, n)| n)
            .collect();
        assert!(!icss.is_empty());
        for s in [
            "fte.nurse",
            "headcount.nurse_mental_health",
            "count.leavers.doctor",
            "fte.consultant",
        ] {
            let sum: f64 = icss.iter().map(|i| value(&format!("{s}@{i}"))).sum();
            let whole = value(&format!("{s}@{region}"));
            assert!(
                (whole - sum).abs() < 1e-6 * whole.max(1.0),
                "{s}@{region}: {whole} vs {sum}"
            );
        }
        // Every ICS has nurses.
        for i in &icss {
            assert!(value(&format!("fte.nurse@{i}")) > 0.0, "{i}");
        }
    }
    let national: f64 = rules
        .region_groups
        .iter()
        .map(|r| value(&format!("fte.nurse@{r}")))
        .sum();
    assert!((national - value("fte.nurse")).abs() < 1e-6 * national);
}

/// Nursing fields and nursing associates: each field's intake is its
/// share of the nursing intake (the family counts them all); international
/// nurses join the fields by their arrival shares; nursing associates are
/// not nurses until their degree apprenticeship ends, and then they are
/// adult nurses.
#[test]
fn fields_take_their_intakes_and_associates_convert_to_adult_nurses() {
    use careersim::series::{Grain, SeriesId};
    let (rules, h) = england_at_grain();
    let value = |name: &str, m: usize| {
        SeriesId::parse(&rules, name)
            .unwrap()
            .value(&rules, &h.records, m, Grain::Year)
            .unwrap()
    };
    // Year to September 2016 (month 12): the 2016 intake. Each field's
    // starts are its share of the places (rounded per region and field).
    let total = value("count.starts.nursing_intake", 12);
    let fields: f64 = rules
        .nursing_fields
        .iter()
        .map(|f| value(&format!("count.starts.nursing_intake_{f}"), 12))
        .sum();
    assert_eq!(total, fields);
    let ld = value("count.starts.nursing_intake_learning_disability", 12);
    // 19,790 x 0.034 = 673 places, at 1 in 20 (rounding per region: 7).
    assert!((ld - 673.0).abs() <= 20.0 * 7.0, "{ld}");
    assert_eq!(value("count.starts.international_nurses_learning_disability", 24), 0.0);
    assert!(value("count.starts.international_nurses_adult", 24) > 0.0);
    // Nursing associates: none before 2017, then trainees, registrants,
    // conversions; their FTE is never the nurses'.
    assert_eq!(value("headcount.registered_nursing_associate", 12), 0.0);
    assert!(value("headcount.registered_nursing_associate", 83) > 0.0);
    let na = rules.group_index("nursing_associate").unwrap();
    let adult = rules.grade_index("registered_nurse_adult").unwrap();
    let apprentice = rules.grade_index("nurse_degree_apprentice").unwrap();
    let mut converted = 0;
    for rec in &h.records[1..] {
        for &(key, n) in &rec.flows {
            let (Some(f), Some(t)) = flow_cells(key) else { continue };
            let ((fg, _, _), (tg, _, _)) = (rules.cell_parts(f), rules.cell_parts(t));
            if rules.grades[fg as usize].group == na && rules.grades[tg as usize].group != na {
                assert_eq!((fg, tg), (apprentice, adult), "associates only become adult nurses");
                converted += n;
            }
        }
    }
    assert!(converted > 0, "no conversion in seven years");
    let nurse = rules.group_index("nurse").unwrap();
    for g in 0..rules.grades.len() as u8 {
        if rules.grades[g as usize].group == nurse {
            assert!(!rules.grades[g as usize].name.contains("associate"));
        }
    }
}

/// The small fixture with `[pensions]` appended: sections by joining date,
/// early retirement, and one tax period (`from`..`until`) on consultants
/// aged 50+ with the given share affected and retirement multiplier.
fn small_with_pensions(affected: f64, multiplier: f64, sections: &str) -> Arc<Rules> {
    let base = std::fs::read_to_string(fixture("valid_small.toml")).unwrap();
    let text = format!(
        "{base}\n[pensions]\njoined_at_age_years = 24\n\
         state_pension_age_by_birth_year = {{ 1900 = 65, 1961 = 67 }}\n\
         early_retirement_age_years = 55\n\
         early_retirement_monthly_prob = {{ doctor = 0.002 }}\n\
         tax_fte_cut = 0.2\n{sections}\n\
         [[pensions.tax_period]]\nname = 'taper'\nfrom = '2020-07'\nuntil = '2021-07'\n\
         grades = ['consultant']\nmin_age_years = 50\naffected_share = {affected}\n\
         cut_monthly_prob = 0.2\nretirement_multiplier = {multiplier}\n"
    );
    let src = ConfigSource {
        file: "small_pensions.toml".into(),
        text,
    };
    Arc::new(load_rules(&src, &[]).unwrap())
}

const LEGACY_SECTIONS: &str = "[[pensions.section]]\nname = '1995'\njoined_before = '2008-04'\npension_age_years = 60\n\
     [[pensions.section]]\nname = '2015'\nmin_pension_age_years = 65\n";

/// Consultant FTE (tenths) per month of a run.
fn consultant_fte(rules: &Arc<Rules>, seed: u64) -> Vec<u64> {
    let g = rules.grade_index("consultant").unwrap();
    let mut sim = Simulation::new(rules.clone(), seed, None);
    for _ in 0..rules.months {
        sim.step_month();
    }
    sim.history()
        .records
        .iter()
        .map(|r| {
            (0..rules.regions.len())
                .map(|reg| r.fte[rules.stock_cell(g, State::Qualified, reg as u8)])
                .sum()
        })
        .collect()
}

/// The pension-tax switch moves senior FTE only while it is in force: with
/// no effect on retirement, a run where every consultant of 50+ is caught
/// is identical to one where none is before July 2020, lower from then
/// until July 2021 (sessions cut), and identical again once the period
/// ends (sessions restored; nothing else drew differently).
#[test]
fn the_taper_switch_moves_senior_fte_only_while_in_force() {
    let none = consultant_fte(&small_with_pensions(0.0, 1.0, LEGACY_SECTIONS), 5);
    let all = consultant_fte(&small_with_pensions(1.0, 1.0, LEGACY_SECTIONS), 5);
    // Month 6 is 2020-07, the first month in force; month 18 (2021-07) the
    // first month after it.
    for m in 0..6 {
        assert_eq!(none[m], all[m], "month {m}, before the period");
    }
    for m in 8..18 {
        assert!(all[m] < none[m], "month {m}, in force: {} vs {}", all[m], none[m]);
    }
    // Cuts of 0.2 FTE at 20% a month: by the period's last month most of
    // the ~40% of consultants aged 50+ have cut.
    assert!(none[17] - all[17] > 200, "{} vs {}", all[17], none[17]);
    for m in 18..none.len() {
        assert_eq!(none[m], all[m], "month {m}, after the period");
    }
    // Retiring earlier while caught leaves fewer consultants for good.
    let earlier = consultant_fte(&small_with_pensions(1.0, 3.0, LEGACY_SECTIONS), 5);
    assert_eq!(earlier[5], none[5]);
    assert!(earlier[30] < all[30], "{} vs {}", earlier[30], all[30]);
}

/// A pension section changes retirement ages as configured: with everyone
/// in a section whose pension age is 65, consultants aged 60-64 retire only
/// early (rarely), so more of them stay than under the 1995 section's 60.
#[test]
fn a_later_pension_age_keeps_consultants_in_their_early_sixties() {
    let at_65 = "[[pensions.section]]\nname = 'only'\npension_age_years = 65\n";
    let count_60_64 = |rules: &Arc<Rules>| -> u64 {
        let g = rules.grade_index("consultant").unwrap();
        let mut sim = Simulation::new(rules.clone(), 5, None);
        for _ in 0..24 {
            sim.step_month();
        }
        sim.clinicians()
            .iter()
            .filter(|c| c.grade == g && c.state == State::Qualified && (720..780).contains(&c.age_months))
            .count() as u64
    };
    let legacy = count_60_64(&small_with_pensions(0.0, 1.0, LEGACY_SECTIONS));
    let later = count_60_64(&small_with_pensions(0.0, 1.0, at_65));
    // 1,500 consultants aged 33-67: ~200 in their early sixties; at 5% a
    // month from 60 most of them retire within two years.
    assert!(later > 2 * legacy, "{later} at 65 vs {legacy} at 60");
}

/// `SeriesId::values` (each month's flows counted once) gives, to the bit,
/// what `SeriesId::value` gives month by month, for every series a run's
/// report and a scenario table use, at both grains.
#[test]
fn series_values_over_all_months_equal_the_month_by_month_values() {
    let rules = small(&[]);
    let mut sim = Simulation::new(rules.clone(), 3, None);
    for _ in 0..30 {
        sim.step_month();
    }
    let records = &sim.history().records;
    let mut checked = 0;
    for rep in careersim::ensemble::reported_series(&rules) {
        for grain in [careersim::series::Grain::Month, careersim::series::Grain::Year] {
            let all = rep.id.values(&rules, records, grain);
            assert_eq!(all.len(), records.len());
            for (m, v) in all.iter().enumerate() {
                let one = rep.id.value(&rules, records, m, grain);
                assert_eq!(v.map(f64::to_bits), one.map(f64::to_bits), "{} month {m}", rep.id.name);
                checked += v.is_some() as usize;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
