//! Funded establishment: the FTE posts budgeted for a staff group, so that
//! vacancies (establishment − FTE in post) can be reported.
//!
//! The establishment is anchored on the model's own FTE in post at month 0
//! (`group.<g>.vacancy_rate_at_start`: establishment = FTE / (1 − rate)), per
//! region, and grows each month by the twelfth root of the calendar year's
//! `establishment_growth_annual_rate`. It is carried in the monthly records,
//! so a scenario lever on the growth acts from its date and a run resumed
//! from a snapshot continues from the last record.

use crate::calendar::YearMonth;
use crate::config::RawGroup;
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::mechanisms::leaving::is_employed;
use crate::rules::{Compiler, Rules, Series};
use crate::series::Area;

/// A group's funded establishment (budgeted FTE posts), for vacancies.
#[derive(Clone, Debug)]
pub struct Establishment {
    /// Share of the establishment vacant at month 0.
    pub vacancy_rate_at_start: f64,
    /// Yearly growth (a fraction, > -1), by calendar year.
    pub growth_annual_rate: Series,
}

/// Establishment FTE (of the simulated population) per (group, region),
/// indexed `group * regions + region`; 0 for a group without one.
pub fn initial(rules: &Rules, fte_tenths: &[u64]) -> Vec<f64> {
    let regions = rules.regions.len();
    let mut in_post = vec![0u64; rules.groups.len() * regions];
    for (cell, &f) in fte_tenths.iter().enumerate() {
        let (g, s, r) = rules.cell_parts(cell);
        if is_employed(s) {
            in_post[rules.group_of(g) as usize * regions + r as usize] += f;
        }
    }
    in_post
        .iter()
        .enumerate()
        .map(|(i, &tenths)| match &rules.groups[i / regions].establishment {
            Some(e) => tenths as f64 / 10.0 / (1.0 - e.vacancy_rate_at_start),
            None => 0.0,
        })
        .collect()
}

/// A group's establishment (one region, or all) from a record's
/// per-(group, region) establishment.
pub fn of_group(rules: &Rules, establishment_fte: &[f64], group: u8, region: Option<Area>) -> f64 {
    let regions = rules.regions.len();
    let row = &establishment_fte[group as usize * regions..(group as usize + 1) * regions];
    match region {
        Some(a) => row
            .iter()
            .enumerate()
            .filter(|&(r, _)| a.covers(rules, r as u8))
            .map(|(_, v)| v)
            .sum(),
        None => row.iter().sum(),
    }
}

/// Vacancies: establishment less FTE in post, or 0 when staffed above it
/// (vacancy statistics count unfilled funded posts, never a surplus).
pub fn vacancies(establishment: f64, fte_in_post: f64) -> f64 {
    (establishment - fte_in_post).max(0.0)
}

/// The establishment of month `month` (dated `date`) from last month's.
pub fn grow(rules: &Rules, last: &[f64], date: YearMonth) -> Vec<f64> {
    let regions = rules.regions.len();
    last.iter()
        .enumerate()
        .map(|(i, &x)| match &rules.groups[i / regions].establishment {
            Some(e) => x * (1.0 + e.growth_annual_rate.at(date.year)).powf(1.0 / 12.0),
            None => 0.0,
        })
        .collect()
}

/// Validates and compiles a group's establishment (its
/// `vacancy_rate_at_start` and `establishment_growth_annual_rate`), if any.
pub(crate) fn compile(c: &Compiler<'_>, g: &RawGroup, start_year: i32) -> Result<Option<Establishment>, ConfigError> {
    let k = |f: &str| format!("group.{}.{f}", g.name);
    Ok(match (g.vacancy_rate_at_start, &g.establishment_growth_annual_rate) {
        (None, None) => None,
        (Some(v), Some(growth)) => {
            let v = c.prob(&k("vacancy_rate_at_start"), v)?;
            if v >= 1.0 {
                return Err(c.err(k("vacancy_rate_at_start"), fmt_num(v), "must be below 1"));
            }
            Some(Establishment {
                vacancy_rate_at_start: v,
                growth_annual_rate: c.growth_series(&k("establishment_growth_annual_rate"), growth, start_year)?,
            })
        }
        (Some(_), None) => {
            return Err(c.err(
                k("establishment_growth_annual_rate"),
                "(missing)",
                "an establishment needs both `vacancy_rate_at_start` and `establishment_growth_annual_rate`",
            ));
        }
        (None, Some(_)) => {
            return Err(c.err(
                k("vacancy_rate_at_start"),
                "(missing)",
                "an establishment needs both `vacancy_rate_at_start` and `establishment_growth_annual_rate`",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinician::State;
    use crate::testutil::tiny_source;
    use crate::testutil::{compiler, invalid, tiny_raw};

    fn rules() -> Rules {
        let set = [
            "group.doctor.vacancy_rate_at_start=0.2".to_string(),
            "group.doctor.establishment_growth_annual_rate={ 2020 = 0.10, 2021 = -0.05 }".to_string(),
        ];
        crate::load_rules(&tiny_source(""), &set).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn establishment_is_fte_in_post_over_one_minus_the_vacancy_rate() {
        let r = rules();
        let mut fte = vec![0u64; r.n_stock_cells()];
        let consultant = r.grade_index("consultant").unwrap();
        fte[r.stock_cell(consultant, State::Qualified, 0)] = 800; // 80 FTE
        fte[r.stock_cell(consultant, State::Leaver, 0)] = 500; // not in post
        let e = initial(&r, &fte);
        assert_eq!(e.len(), 1);
        assert!((e[0] - 100.0).abs() < 1e-9, "{e:?}");
    }

    #[test]
    fn an_establishment_needs_both_keys_and_a_sane_growth_rate() {
        let load = |set: &[&str]| {
            let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
            crate::load_rules(&tiny_source(""), &set)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        let e = load(&["group.doctor.vacancy_rate_at_start=0.1"]);
        assert!(
            e.contains("tiny.toml") && e.contains("group.doctor.establishment_growth_annual_rate"),
            "{e}"
        );
        let e = load(&["group.doctor.establishment_growth_annual_rate={ 2020 = 0.01 }"]);
        assert!(e.contains("group.doctor.vacancy_rate_at_start"), "{e}");
        let e = load(&[
            "group.doctor.vacancy_rate_at_start=0.1",
            "group.doctor.establishment_growth_annual_rate={ 2020 = -1.5 }",
        ]);
        assert!(
            e.contains("group.doctor.establishment_growth_annual_rate.2020") && e.contains("-1.5"),
            "{e}"
        );
        let e = load(&[
            "group.doctor.vacancy_rate_at_start=1",
            "group.doctor.establishment_growth_annual_rate={ 2020 = 0.01 }",
        ]);
        assert!(
            e.contains("group.doctor.vacancy_rate_at_start") && e.contains("below 1"),
            "{e}"
        );
    }

    #[test]
    fn a_year_of_monthly_growth_compounds_to_the_yearly_rate() {
        let r = rules();
        // 100 FTE grown over the twelve months after `before`.
        let a_year_after = |before: &str| {
            let start = YearMonth::parse(before).unwrap();
            (1..=12).fold(vec![100.0], |e, m| grow(&r, &e, start.plus(m)))[0]
        };
        let (y2021, y2020) = (a_year_after("2020-12"), a_year_after("2019-12"));
        assert!((y2021 - 95.0).abs() < 1e-9, "{y2021}");
        assert!((y2020 - 110.0).abs() < 1e-9, "{y2020}");
    }

    #[test]
    fn vacancies_are_never_negative() {
        assert_eq!(vacancies(100.0, 90.0), 10.0);
        assert_eq!(vacancies(100.0, 120.0), 0.0);
    }

    #[test]
    fn establishment_needs_both_its_fields() {
        let raw = tiny_raw("");
        let c = compiler(&raw, 1.0);
        let mut g = raw.group[0].clone();
        assert!(compile(&c, &g, 2020).unwrap().is_none());
        g.vacancy_rate_at_start = Some(0.1);
        assert_eq!(
            invalid(compile(&c, &g, 2020)).0,
            "group.doctor.establishment_growth_annual_rate"
        );
        g.establishment_growth_annual_rate = Some([("2020".to_string(), 0.02)].into_iter().collect());
        let e = compile(&c, &g, 2020).unwrap().unwrap();
        assert_eq!((e.vacancy_rate_at_start, e.growth_annual_rate.at(2030)), (0.1, 0.02));
        g.vacancy_rate_at_start = Some(1.0);
        assert_eq!(invalid(compile(&c, &g, 2020)).1, "must be below 1");
    }
}
