//! What the workforce costs: `[cost]` prices of training, pay (with
//! employer on-costs), recruitment and programmes, in pounds at the price
//! base year, and each month's spend by category and grade.
//!
//! Prices never enter the hot loop: `month_cost` prices a closed month's
//! stocks, FTE and counters (intakes, placements, course leavers) once, in
//! `close_month`, with the rules in force that month — so a scenario lever
//! that changes a price or starts a programme is costed from its month on.
//! The `cost.*` series then sum these monthly costs (`series`).
//!
//! Categories (`cost.<category>.<scope>`):
//! - `pay`: per FTE-year in post (trainees and employed staff) x (1 +
//!   on-cost share);
//! - `training`: education costs other than the learner's own salary —
//!   students' tuition or placement tariff and bursary per head-year on the
//!   course, trainees' placement fee per FTE- or head-year in post (the
//!   salary support HEE pays towards a trainee's salary is part of `pay`,
//!   not counted twice);
//! - `recruitment`: per start of an inflow (an international recruit) and
//!   per placement of a recruitment scheme (a Return to Practice place);
//! - `programme`: a policy's running cost per FTE- or head-year in post;
//! - `total`: the sum of the four (exactly, month by month);
//! - `attrition`: what was spent on the training of those who left a
//!   course or training grade for good or for the leaver pool, before
//!   completing it: their WTE-months in the grade at the training price
//!   of the month they left (a trainee's earlier grades are not counted).

use crate::calendar::YearMonth;
use crate::clinician::State;
use crate::config::{RawCost, RawCostItem, YearSeries};
use crate::error::ConfigError;
use crate::ledger::MonthLedger;
use crate::limits::fmt_num;
use crate::rules::{Compiler, Family, Grade, GradeKind, Inflow, Rules, Scheme, check_unique};

use super::leaving::is_employed;
use super::split::share_at;

/// Cost categories, in the order of a month's cost table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Education costs.
    Training = 0,
    /// Pay and on-costs.
    Pay = 1,
    /// Recruitment per start or placement.
    Recruitment = 2,
    /// Policy programmes.
    Programme = 3,
    /// Spend on the training of course and training-grade leavers (not part
    /// of `total`: it is spend already counted in `training`).
    Attrition = 4,
}

/// Number of categories stored per grade.
pub const CATEGORIES: usize = 5;

impl Category {
    /// The series name of a category (`total` is the sum of the first four).
    pub fn parse(s: &str) -> Option<Option<Category>> {
        Some(match s {
            "training" => Some(Category::Training),
            "pay" => Some(Category::Pay),
            "recruitment" => Some(Category::Recruitment),
            "programme" => Some(Category::Programme),
            "attrition" => Some(Category::Attrition),
            "total" => None,
            _ => return None,
        })
    }
}

/// A price as a step series in base-year pounds: (year, value) points.
type Price = Vec<(i32, f64)>;

fn price_at(p: &Price, year: i32) -> f64 {
    if p.is_empty() { 0.0 } else { share_at(p, year) }
}

/// The compiled `[cost]` section.
#[derive(Clone, Debug)]
pub struct CostRules {
    /// Year of the pounds every cost is in.
    pub price_base_year: i32,
    /// Yearly discount rate of cost-effectiveness.
    pub discount_rate: f64,
    on_cost: Price,
    /// Per grade: pay per FTE-year.
    pay_fte: Vec<Price>,
    /// Per grade: training per FTE-year and per head-year.
    training_fte: Vec<Price>,
    training_head: Vec<Price>,
    /// Per grade: programme per FTE-year and per head-year.
    programme_fte: Vec<Price>,
    programme_head: Vec<Price>,
    /// Per inflow and per scheme: price per start or placement.
    per_start: Vec<Price>,
    per_placement: Vec<Price>,
}

/// Validates and compiles `[cost]` (none: `None`, and `cost.*` series are
/// refused).
pub(crate) fn compile(
    c: &Compiler<'_>,
    raw: Option<&RawCost>,
    grades: &[Grade],
    inflows: &[Inflow],
    inflow_families: &[Family],
    schemes: &[Scheme],
    scheme_families: &[Family],
) -> Result<Option<CostRules>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let Some(base) = raw.price_base_year else {
        return Err(c.err(
            "cost.price_base_year",
            "(missing)",
            "costs need the year whose pounds they are in (e.g. 2019 for 2019/20 prices)",
        ));
    };
    if !(crate::calendar::MIN_YEAR..=crate::calendar::MAX_YEAR).contains(&base) {
        return Err(c.err("cost.price_base_year", base, "out of the years a config may name"));
    }
    if !raw.discount_rate.is_finite() || !(0.0..1.0).contains(&raw.discount_rate) {
        return Err(c.err(
            "cost.discount_rate",
            fmt_num(raw.discount_rate),
            "a yearly rate in [0, 1)",
        ));
    }
    let deflator = match &raw.deflator {
        Some(d) => Some(c.year_points("cost.deflator", d, |k, v| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(c.err(k, fmt_num(v), "a price index is positive"))
            }
        })?),
        None => None,
    };
    // Nominal points to base-year pounds.
    let real = |key: &str, s: &YearSeries| -> Result<Price, ConfigError> {
        let pts = c.year_points(key, s, |k, v| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(c.err(k, fmt_num(v), "a price is a non-negative number of pounds"))
            }
        })?;
        Ok(match &deflator {
            None => pts,
            Some(d) => pts
                .into_iter()
                .map(|(y, v)| (y, v * share_at(d, base) / share_at(d, y)))
                .collect(),
        })
    };
    let on_cost = match &raw.on_cost_share {
        Some(s) => c.year_points("cost.on_cost_share", s, |k, v| {
            if v.is_finite() && (0.0..=2.0).contains(&v) {
                Ok(())
            } else {
                Err(c.err(k, fmt_num(v), "a share of pay in [0, 2]"))
            }
        })?,
        None => Vec::new(),
    };
    let n = grades.len();
    let mut out = CostRules {
        price_base_year: base,
        discount_rate: raw.discount_rate,
        on_cost,
        pay_fte: vec![Vec::new(); n],
        training_fte: vec![Vec::new(); n],
        training_head: vec![Vec::new(); n],
        programme_fte: vec![Vec::new(); n],
        programme_head: vec![Vec::new(); n],
        per_start: vec![Vec::new(); inflows.len()],
        per_placement: vec![Vec::new(); schemes.len()],
    };
    // Each grade is priced at most once per category and price kind.
    let items = |section: &str,
                 list: &[RawCostItem],
                 fte: &mut Vec<Price>,
                 mut head: Option<&mut Vec<Price>>|
     -> Result<(), ConfigError> {
        check_unique(
            c,
            &format!("cost.{section}"),
            &list.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
        )?;
        for it in list {
            let key = |f: &str| format!("cost.{section}.{}.{f}", it.name);
            if it.grades.is_empty() {
                return Err(c.err(key("grades"), "[]", "name at least one grade"));
            }
            let f = it
                .per_fte_year
                .as_ref()
                .map(|s| real(&key("per_fte_year"), s))
                .transpose()?;
            let h = match (&it.per_head_year, head.is_some()) {
                (Some(s), true) => Some(real(&key("per_head_year"), s)?),
                (Some(_), false) => {
                    return Err(c.err(key("per_head_year"), "(given)", "pay is priced per FTE-year only"));
                }
                (None, _) => None,
            };
            if f.is_none() && h.is_none() {
                return Err(c.err(
                    key("per_fte_year"),
                    "(missing)",
                    "give a price per FTE-year or per head-year",
                ));
            }
            for g in &it.grades {
                let gi = c.grade(&key("grades"), g, grades)? as usize;
                let twice = || {
                    c.err(
                        key("grades"),
                        format!("\"{g}\""),
                        format!("this grade is already priced in cost.{section}"),
                    )
                };
                if let Some(f) = &f {
                    if !fte[gi].is_empty() {
                        return Err(twice());
                    }
                    fte[gi] = f.clone();
                }
                if let (Some(h), Some(head)) = (&h, head.as_deref_mut()) {
                    if !head[gi].is_empty() {
                        return Err(twice());
                    }
                    head[gi] = h.clone();
                }
            }
        }
        Ok(())
    };
    items("pay", &raw.pay, &mut out.pay_fte, None)?;
    items(
        "training",
        &raw.training,
        &mut out.training_fte,
        Some(&mut out.training_head),
    )?;
    items(
        "programme",
        &raw.programme,
        &mut out.programme_fte,
        Some(&mut out.programme_head),
    )?;
    check_unique(
        c,
        "cost.recruitment",
        &raw.recruitment.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
    )?;
    for it in &raw.recruitment {
        let key = |f: &str| format!("cost.recruitment.{}.{f}", it.name);
        let price = real(&key("per_start"), &it.per_start)?;
        if it.inflows.is_empty() && it.schemes.is_empty() {
            return Err(c.err(key("inflows"), "[]", "name the inflows or schemes it prices"));
        }
        let members = |name: &str, singles: &[String], families: &[Family]| -> Option<Vec<usize>> {
            singles
                .iter()
                .position(|s| s == name)
                .map(|i| vec![i])
                .or_else(|| families.iter().find(|f| f.name == name).map(|f| f.members.clone()))
        };
        let inflow_names: Vec<String> = inflows.iter().map(|f| f.name.clone()).collect();
        let scheme_names: Vec<String> = schemes.iter().map(|s| s.name.clone()).collect();
        for (list, names, families, target, what) in [
            (
                &it.inflows,
                &inflow_names,
                inflow_families,
                &mut out.per_start,
                "inflows",
            ),
            (
                &it.schemes,
                &scheme_names,
                scheme_families,
                &mut out.per_placement,
                "schemes",
            ),
        ] {
            for name in list {
                let Some(ms) = members(name, names, families) else {
                    return Err(c.err(
                        key(what),
                        format!("\"{name}\""),
                        format!("unknown {}", &what[..what.len() - 1]),
                    ));
                };
                for m in ms {
                    if !target[m].is_empty() {
                        return Err(c.err(key(what), format!("\"{name}\""), "already priced in cost.recruitment"));
                    }
                    target[m] = price.clone();
                }
            }
        }
    }
    Ok(Some(out))
}

/// States whose headcount a per-head price counts: a student on the
/// course, a trainee or employed clinician in post.
fn counts_per_head(kind: GradeKind, s: State) -> bool {
    match kind {
        GradeKind::Student => s == State::Student,
        _ => is_employed(s),
    }
}

/// The spend of the month just closed in `ledger` (calendar month `ym`),
/// per category and grade (`category * grades + grade`), in whole pence of
/// the simulated population (the series scale them by the population
/// scale): integers, so a total is exactly the sum of its parts.
pub fn month_cost(rules: &Rules, cost: &CostRules, ledger: &MonthLedger, ym: YearMonth) -> Vec<i64> {
    month_pounds(rules, cost, ledger, ym)
        .into_iter()
        .map(|p| (p * 100.0).round() as i64)
        .collect()
}

fn month_pounds(rules: &Rules, cost: &CostRules, ledger: &MonthLedger, ym: YearMonth) -> Vec<f64> {
    let year = ym.year;
    let n = rules.grades.len();
    let nr = rules.regions.len();
    let mut out = vec![0.0; CATEGORIES * n];
    let on_cost = 1.0 + price_at(&cost.on_cost, year);
    for (g, grade) in rules.grades.iter().enumerate() {
        let (mut heads, mut fte_tenths) = (0u64, 0u64);
        for s in State::CAREER {
            let start = rules.stock_cell(g as u8, s, 0);
            if counts_per_head(grade.kind, s) {
                heads += ledger.stock[start..start + nr].iter().map(|&v| v as u64).sum::<u64>();
            }
            if is_employed(s) {
                fte_tenths += ledger.fte[start..start + nr].iter().sum::<u64>();
            }
        }
        let fte = fte_tenths as f64 / 10.0;
        let month = |p: &Price| price_at(p, year) / 12.0;
        out[Category::Pay as usize * n + g] = fte * month(&cost.pay_fte[g]) * on_cost;
        out[Category::Training as usize * n + g] =
            fte * month(&cost.training_fte[g]) + heads as f64 * month(&cost.training_head[g]);
        out[Category::Programme as usize * n + g] =
            fte * month(&cost.programme_fte[g]) + heads as f64 * month(&cost.programme_head[g]);
        if let Some(&(_, tenths)) = ledger.counters.course_exits.get(&(g as u8)) {
            // A full-time learner's month: one head and one FTE.
            let per_month = month(&cost.training_fte[g]) + month(&cost.training_head[g]);
            out[Category::Attrition as usize * n + g] = tenths as f64 / 10.0 * per_month;
        }
    }
    let rec = Category::Recruitment as usize * n;
    for (i, f) in rules.inflows.iter().enumerate() {
        let starts = ledger.counters.starts.get(i).copied().unwrap_or(0) as f64;
        out[rec + f.grade as usize] += starts * price_at(&cost.per_start[i], year);
    }
    for (i, s) in rules.schemes.iter().enumerate() {
        let filled = ledger.counters.posts_filled.get(i).copied().unwrap_or(0) as f64;
        out[rec + s.into_grade as usize] += filled * price_at(&cost.per_placement[i], year);
    }
    out
}

/// Discount factor of report year `k` (0 = the first simulated year).
pub fn discount(rate: f64, k: usize) -> f64 {
    (1.0 + rate).powi(-(k as i32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{invalid, tiny_raw};

    const COST: &str = "[cost]\nprice_base_year = 2020\non_cost_share = { 2020 = 0.25 }\n\
        [[cost.pay]]\nname = 'doctors'\ngrades = ['consultant']\nper_fte_year = { 2020 = 120000 }\n\
        [[cost.training]]\nname = 'school'\ngrades = ['ct']\nper_head_year = { 2020 = 12000 }\n";

    fn rules_of(extra: &str) -> Result<Rules, ConfigError> {
        let raw = tiny_raw(extra);
        crate::rules::compile("t.toml", &raw, "")
    }

    #[test]
    fn a_month_is_priced_by_fte_heads_and_on_costs() {
        let rules = rules_of(COST).unwrap();
        let cost = rules.cost.as_ref().unwrap();
        let n = rules.grades.len();
        let mut ledger = MonthLedger {
            stock: vec![0; rules.n_stock_cells()],
            fte: vec![0; rules.n_stock_cells()],
            ..Default::default()
        };
        let cons = rules.grade_index("consultant").unwrap();
        let stud = rules.grade_index("ct").unwrap();
        ledger.fte[rules.stock_cell(cons, State::Qualified, 0)] = 35; // 3.5 FTE
        ledger.stock[rules.stock_cell(cons, State::Qualified, 0)] = 4;
        ledger.stock[rules.stock_cell(stud, State::Trainee, 0)] = 10;
        ledger.counters.course_exits.insert(stud, (2, 240)); // 24 WTE-months
        let m = month_pounds(&rules, cost, &ledger, YearMonth { year: 2021, month: 3 });
        let pence = month_cost(&rules, cost, &ledger, YearMonth { year: 2021, month: 3 });
        assert_eq!(pence[Category::Pay as usize * n + cons as usize], 4_375_000);
        let pay = m[Category::Pay as usize * n + cons as usize];
        assert!((pay - 3.5 * 10_000.0 * 1.25).abs() < 1e-9, "{pay}");
        assert!((m[Category::Training as usize * n + stud as usize] - 10_000.0).abs() < 1e-9);
        assert!((m[Category::Attrition as usize * n + stud as usize] - 24_000.0).abs() < 1e-9);
        assert_eq!(m.iter().filter(|&&v| v != 0.0).count(), 3);
    }

    #[test]
    fn cost_errors_name_their_key() {
        let e = |extra: &str| invalid(rules_of(extra)).0;
        assert_eq!(e(&COST.replace("price_base_year = 2020\n", "")), "cost.price_base_year");
        assert_eq!(e(&COST.replace("120000", "-5")), "cost.pay.doctors.per_fte_year.2020");
        assert_eq!(
            e(&COST.replace("'consultant'", "'astronaut'")),
            "cost.pay.doctors.grades"
        );
        assert_eq!(
            e(&COST.replace("per_fte_year", "per_head_year")),
            "cost.pay.doctors.per_head_year"
        );
        assert_eq!(
            e(&format!(
                "{COST}[[cost.recruitment]]\nname = 'x'\ninflows = ['nope']\nper_start = {{ 2020 = 1 }}\n"
            )),
            "cost.recruitment.x.inflows"
        );
        assert_eq!(e(&COST.replace("0.25", "-0.1")), "cost.on_cost_share.2020");
    }

    #[test]
    fn a_deflator_turns_nominal_prices_into_base_year_pounds() {
        let raw = COST
            .replace(
                "on_cost_share = { 2020 = 0.25 }",
                "deflator = { 2018 = 90, 2020 = 100 }",
            )
            .replace("{ 2020 = 120000 }", "{ 2018 = 90000 }");
        let rules = rules_of(&raw).unwrap();
        let c = rules.cost.as_ref().unwrap();
        let g = rules.grade_index("consultant").unwrap() as usize;
        assert!((price_at(&c.pay_fte[g], 2019) - 100_000.0).abs() < 1e-9);
    }
}
