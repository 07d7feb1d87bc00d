//! Competing monthly hazards: one uniform per clinician-month decides which,
//! if any, of the outcomes of its (grade, state, age band, sex) cell fires.
//! Leaving, LTFT uptake, pause uptake, leaver returns and course attrition are
//! all hazards: their rates are data in `[[hazard]]`.

use crate::clinician::{Clinician, State};
use crate::config::{RawHazard, RawLtft};
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::random::{Purpose, draw_keyed, threshold};
use crate::rules::{
    Compiler, FTE_UNCHANGED, Grade, GradeKind, Group, MAX_AGE_BANDS, MAX_AGE_MONTHS, MAX_HAZARDS, Outcome, Rules,
    check_unique,
};

use super::Ctx;

/// The outcome that fires this month, if any.
#[inline(always)]
pub fn draw<'r>(rules: &'r Rules, c: &Clinician, ctx: Ctx) -> Option<&'r Outcome> {
    let outcomes = rules.outcomes_of(c.grade, c.state, c.age_months, c.is_female());
    if outcomes.is_empty() {
        return None;
    }
    let u = draw_keyed(ctx.key, c.id(), Purpose::Hazard) as u64;
    outcomes.iter().find(|o| u < o.cum_threshold)
}

/// Validates `model.age_bands_years`, the age bands hazards vary by; returns
/// the number of bands and the band of each age in months.
pub(crate) fn compile_age_bands(c: &Compiler<'_>, bands: &[f64]) -> Result<(usize, Vec<u8>), ConfigError> {
    if bands.windows(2).any(|w| w[1] <= w[0]) || bands.iter().any(|b| !b.is_finite() || *b <= 0.0 || *b > 100.0) {
        return Err(c.err(
            "model.age_bands_years",
            format!("{bands:?}"),
            "boundaries must be ascending ages in (0, 100]",
        ));
    }
    if bands.len() > MAX_AGE_BANDS {
        return Err(c.err(
            "model.age_bands_years",
            bands.len(),
            format!("at most {MAX_AGE_BANDS} boundaries"),
        ));
    }
    let n_bands = bands.len() + 1;
    let band_of_age: Vec<u8> = (0..=MAX_AGE_MONTHS)
        .map(|m| bands.iter().filter(|b| (m as f64) >= **b * 12.0 - 1e-9).count() as u8)
        .collect();
    Ok((n_bands, band_of_age))
}

/// One calendar year's competing outcomes of every (grade, state, age
/// band, sex) cell.
#[derive(Clone, Debug)]
pub struct YearTables {
    /// (start, len) into `outcomes` per cell.
    pub cells: Vec<(u32, u32)>,
    /// All outcomes, with cumulative thresholds.
    pub outcomes: Vec<Outcome>,
}

/// The compiled `[[hazard]]`s: the competing outcomes of every
/// (grade, state, age band, sex) cell, one table per calendar year from the
/// start year to the last year any `multiplier_by_year` names (one table
/// when no hazard varies by year).
pub(crate) struct HazardTables {
    /// Tables by year, from `first_year`; the last holds for later years.
    pub(crate) years: Vec<YearTables>,
    /// Year of `years[0]` (the start year).
    pub(crate) first_year: i32,
    /// FTE choice tables.
    pub(crate) fte_choices: Vec<Vec<(u64, u8)>>,
    /// Hazard names, by config index.
    pub(crate) names: Vec<String>,
}

/// A hazard's yearly multiplier: linear between the years given.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Multiplier(Vec<(i32, f64)>);

impl Multiplier {
    /// The multiplier in a year.
    pub(crate) fn at(&self, year: i32) -> f64 {
        let pts = &self.0;
        let (first, last) = (pts[0], pts[pts.len() - 1]);
        if year <= first.0 {
            return first.1;
        }
        if year >= last.0 {
            return last.1;
        }
        let i = pts.iter().position(|p| p.0 > year).unwrap_or(pts.len() - 1);
        let (a, b) = (pts[i - 1], pts[i]);
        a.1 + (b.1 - a.1) * (year - a.0) as f64 / (b.0 - a.0) as f64
    }

    /// The last year the multiplier changes in.
    fn last_year(&self) -> i32 {
        self.0[self.0.len() - 1].0
    }
}

/// Largest yearly multiplier of a hazard.
pub const MAX_MULTIPLIER: f64 = 1000.0;

fn compile_multiplier(c: &Compiler<'_>, h: &RawHazard) -> Result<Option<Multiplier>, ConfigError> {
    let Some(series) = &h.multiplier_by_year else {
        return Ok(None);
    };
    let key = format!("hazard.{}.multiplier_by_year", h.name);
    let pts = c.year_points(&key, series, |k, v| {
        if !v.is_finite() || !(0.0..=MAX_MULTIPLIER).contains(&v) {
            return Err(c.err(k, fmt_num(v), format!("a multiplier must lie in [0, {MAX_MULTIPLIER}]")));
        }
        Ok(())
    })?;
    Ok(Some(Multiplier(pts)))
}

/// A hazard's base rate and how it varies by year.
struct Rate {
    /// `annual_rate` (converted to monthly after the multiplier) or `monthly_prob`.
    annual: bool,
    base: f64,
    multiplier: Option<Multiplier>,
    /// `multiplier_by_grade`, by grade index (empty: 1 in every grade).
    by_grade: Vec<f64>,
}

impl Rate {
    /// The monthly probability in a year and grade, or the multiplied rate
    /// when it passes 1.
    fn monthly(&self, year: i32, grade: usize) -> Result<f64, f64> {
        let r = self.base
            * self.multiplier.as_ref().map_or(1.0, |m| m.at(year))
            * self.by_grade.get(grade).copied().unwrap_or(1.0);
        if r > 1.0 + 1e-12 {
            return Err(r);
        }
        let r = r.min(1.0);
        Ok(if self.annual {
            1.0 - (1.0 - r).powf(1.0 / 12.0)
        } else {
            r
        })
    }
}

/// Validates and compiles `[[hazard]]` into the cells' competing outcomes;
/// `bands` are `model.age_bands_years`. Pause hazards are dropped when
/// pauses are disabled.
#[allow(clippy::too_many_arguments)]
pub(crate) fn compile(
    c: &Compiler<'_>,
    raw_hazards: &[RawHazard],
    ltft: &RawLtft,
    pause_enabled: bool,
    groups: &[Group],
    grades: &[Grade],
    bands: &[f64],
    start_year: i32,
) -> Result<HazardTables, ConfigError> {
    let n_bands = bands.len() + 1;
    if raw_hazards.len() > MAX_HAZARDS {
        return Err(c.err("hazard", raw_hazards.len(), format!("at most {MAX_HAZARDS} hazards")));
    }
    check_unique(
        c,
        "hazard",
        &raw_hazards.iter().map(|h| h.name.clone()).collect::<Vec<_>>(),
    )?;
    let mut fte_choices: Vec<Vec<(u64, u8)>> = Vec::new();
    let mut rates = Vec::with_capacity(raw_hazards.len());
    let mut per_cell: Vec<Vec<Outcome>> = vec![Vec::new(); grades.len() * State::COUNT * n_bands * 2];
    for (hi, h) in raw_hazards.iter().enumerate() {
        rates.push(hazard_rate(c, h, grades)?);
        let k = |f: &str| format!("hazard.{}.{f}", h.name);
        let from = c.state(&k("state"), &h.state, false)?;
        let to = c.state(&k("to"), &h.to, true)?;
        let to_grade = h
            .to_grade
            .as_ref()
            .map(|n| c.grade(&k("to_grade"), n, grades))
            .transpose()?;
        let mut applies: Vec<u8> = match (&h.group, &h.grades) {
            (_, Some(list)) => list
                .iter()
                .map(|n| c.grade(&k("grades"), n, grades))
                .collect::<Result<_, _>>()?,
            (Some(gn), None) => {
                let gi = groups
                    .iter()
                    .position(|x| &x.name == gn)
                    .ok_or_else(|| c.err(k("group"), format!("\"{gn}\""), "unknown group"))?;
                (0..grades.len() as u8)
                    .filter(|&g| grades[g as usize].group as usize == gi)
                    .collect()
            }
            (None, None) => {
                return Err(c.err(k("group"), "(missing)", "a hazard needs `group` or `grades`"));
            }
        };
        if let (Some(gn), Some(_)) = (&h.group, &h.grades)
            && applies
                .iter()
                .any(|&g| groups[grades[g as usize].group as usize].name != *gn)
        {
            return Err(c.err(
                k("grades"),
                format!("{:?}", h.grades),
                format!("a grade is not in group {gn}"),
            ));
        }
        applies.sort_unstable();
        applies.dedup();
        for n in h.multiplier_by_grade.iter().flat_map(|m| m.keys()) {
            if !applies.iter().any(|&g| grades[g as usize].name == *n) {
                return Err(c.err(
                    format!("hazard.{}.multiplier_by_grade.{n}", h.name),
                    format!("\"{n}\""),
                    "the hazard does not apply in this grade",
                ));
            }
        }
        if to == from && to_grade.is_none() {
            return Err(c.err(k("to"), &h.to, "a hazard must change state or grade"));
        }
        for &g in &applies {
            let target_grade = to_grade.unwrap_or(g);
            let kind = grades[target_grade as usize].kind;
            if matches!(to, State::Trainee | State::Ltft | State::Pause) && kind != GradeKind::Training {
                return Err(c.err(
                    k("to"),
                    &h.to,
                    format!("grade {} is not a training grade", grades[target_grade as usize].name),
                ));
            }
            if to == State::Student && kind != GradeKind::Student {
                return Err(c.err(k("to"), &h.to, "only student grades hold students"));
            }
            if grades[target_grade as usize].group != grades[g as usize].group {
                return Err(c.err(
                    k("to_grade"),
                    format!("{:?}", h.to_grade),
                    "cannot move between staff groups",
                ));
            }
        }
        let fte_choice = hazard_fte(c, h, to, ltft, &mut fte_choices)?;
        let (lo, hi_band) = hazard_bands(c, h, bands)?;
        let sexes: &[bool] = match h.sex.as_deref() {
            None => &[false, true],
            Some("female") => &[true],
            Some("male") => &[false],
            Some(other) => {
                return Err(c.err(k("sex"), format!("\"{other}\""), "sex is female or male"));
            }
        };
        if to == State::Pause && !pause_enabled {
            continue;
        }
        for &g in &applies {
            for band in lo..hi_band {
                for &female in sexes {
                    let idx = (((g as usize * State::COUNT + from as usize) * n_bands + band) << 1) | female as usize;
                    per_cell[idx].push(Outcome {
                        cum_threshold: 0,
                        to_state: to,
                        to_grade: to_grade.unwrap_or(g),
                        fte_choice,
                        hazard: hi as u16,
                    });
                }
            }
        }
    }
    let last_year = rates
        .iter()
        .filter_map(|r| r.multiplier.as_ref().map(Multiplier::last_year))
        .max()
        .unwrap_or(start_year)
        .max(start_year);
    let years = (start_year..=last_year)
        .map(|year| year_tables(c, raw_hazards, grades, n_bands, &rates, &per_cell, year))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HazardTables {
        years,
        first_year: start_year,
        fte_choices,
        names: raw_hazards.iter().map(|h| h.name.clone()).collect(),
    })
}

/// The cells' cumulative thresholds in one year.
fn year_tables(
    c: &Compiler<'_>,
    raw_hazards: &[RawHazard],
    grades: &[Grade],
    n_bands: usize,
    rates: &[Rate],
    per_cell: &[Vec<Outcome>],
    year: i32,
) -> Result<YearTables, ConfigError> {
    // Monthly probabilities by (hazard, grade), computed once per grade a
    // hazard applies in.
    let mut monthly = vec![f64::NAN; rates.len() * grades.len()];
    for (idx, list) in per_cell.iter().enumerate() {
        let g = idx / 2 / n_bands / State::COUNT;
        for o in list {
            let (hi, r) = (o.hazard as usize, &rates[o.hazard as usize]);
            if monthly[hi * grades.len() + g].is_nan() {
                let h = &raw_hazards[hi];
                monthly[hi * grades.len() + g] = r.monthly(year, g).map_err(|v| {
                    let key = if r.by_grade.get(g).is_some_and(|&m| m != 1.0) {
                        format!("hazard.{}.multiplier_by_grade.{}", h.name, grades[g].name)
                    } else {
                        format!("hazard.{}.multiplier_by_year", h.name)
                    };
                    c.err(
                        key,
                        fmt_num(v),
                        format!("the rate times its multipliers in {year} passes 1"),
                    )
                })?;
            }
        }
    }
    let rate_of =
        |o: &Outcome, idx: usize| monthly[o.hazard as usize * grades.len() + idx / 2 / n_bands / State::COUNT];
    let mut cells = Vec::with_capacity(per_cell.len());
    let mut outcomes = Vec::new();
    for (idx, list) in per_cell.iter().enumerate() {
        let total: f64 = list.iter().map(|o| rate_of(o, idx)).sum();
        if total > 1.0 + 1e-9 {
            let names: Vec<&str> = list
                .iter()
                .map(|o| raw_hazards[o.hazard as usize].name.as_str())
                .collect();
            let g = idx / 2 / n_bands / State::COUNT;
            let s = State::from_u8((idx / 2 / n_bands % State::COUNT) as u8);
            let when = if rates.iter().any(|r| r.multiplier.is_some()) {
                format!(" in {year}")
            } else {
                String::new()
            };
            return Err(c.err(
                format!("hazard.{}", names.join("+")),
                format!("{total:.6}"),
                format!(
                    "competing monthly hazards of grade {} in state {} sum past 1{when}",
                    grades[g].name,
                    s.name()
                ),
            ));
        }
        cells.push((outcomes.len() as u32, list.len() as u32));
        let mut cum = 0.0;
        for o in list {
            cum += rate_of(o, idx);
            outcomes.push(Outcome {
                cum_threshold: threshold(cum),
                ..*o
            });
        }
    }
    Ok(YearTables { cells, outcomes })
}

/// `multiplier_by_grade` by grade index (empty when not given).
fn compile_grade_multipliers(c: &Compiler<'_>, h: &RawHazard, grades: &[Grade]) -> Result<Vec<f64>, ConfigError> {
    let Some(map) = &h.multiplier_by_grade else {
        return Ok(Vec::new());
    };
    let mut by_grade = vec![1.0; grades.len()];
    for (n, &v) in map {
        let k = format!("hazard.{}.multiplier_by_grade.{n}", h.name);
        let g = c.grade(&k, n, grades)?;
        if !v.is_finite() || !(0.0..=MAX_MULTIPLIER).contains(&v) {
            return Err(c.err(k, fmt_num(v), format!("a multiplier must lie in [0, {MAX_MULTIPLIER}]")));
        }
        by_grade[g as usize] = v;
    }
    Ok(by_grade)
}

fn hazard_rate(c: &Compiler<'_>, h: &RawHazard, grades: &[Grade]) -> Result<Rate, ConfigError> {
    let multiplier = compile_multiplier(c, h)?;
    let by_grade = compile_grade_multipliers(c, h, grades)?;
    match (h.monthly_prob, h.annual_rate) {
        (Some(p), None) => Ok(Rate {
            annual: false,
            base: c.prob(&format!("hazard.{}.monthly_prob", h.name), p)?,
            multiplier,
            by_grade,
        }),
        (None, Some(a)) => Ok(Rate {
            annual: true,
            base: c.prob(&format!("hazard.{}.annual_rate", h.name), a)?,
            multiplier,
            by_grade,
        }),
        _ => Err(c.err(
            format!("hazard.{}", h.name),
            "(monthly_prob/annual_rate)",
            "give exactly one of monthly_prob and annual_rate",
        )),
    }
}

fn hazard_fte(
    c: &Compiler<'_>,
    h: &RawHazard,
    to: State,
    ltft: &RawLtft,
    tables: &mut Vec<Vec<(u64, u8)>>,
) -> Result<u16, ConfigError> {
    let key = format!("hazard.{}.fte", h.name);
    let (options, weights): (Vec<f64>, Vec<f64>) = match (&h.fte, &h.fte_options) {
        (Some(_), Some(_)) => {
            return Err(c.err(key, "(fte and fte_options)", "give one of fte and fte_options"));
        }
        (Some(f), None) => (vec![*f], vec![1.0]),
        (None, Some(o)) => {
            let w = h.fte_weights.clone().unwrap_or_else(|| vec![1.0; o.len()]);
            if w.len() != o.len()
                || o.is_empty()
                || w.iter().any(|x| !x.is_finite() || *x < 0.0)
                || w.iter().sum::<f64>() <= 0.0
            {
                return Err(c.err(
                    format!("hazard.{}.fte_weights", h.name),
                    format!("{w:?}"),
                    "one non-negative weight per option",
                ));
            }
            (o.clone(), w)
        }
        (None, None) => {
            if to == State::Ltft {
                return Err(c.err(key, "(missing)", "a move to LTFT needs fte or fte_options"));
            }
            return Ok(FTE_UNCHANGED);
        }
    };
    for &f in &options {
        c.fte(&key, f)?;
        if to == State::Ltft && (f < ltft.min_wte - 1e-9 || f > ltft.max_wte + 1e-9) {
            return Err(c.err(
                key.clone(),
                fmt_num(f),
                format!("LTFT WTE must lie in [{}, {}]", ltft.min_wte, ltft.max_wte),
            ));
        }
    }
    let total: f64 = weights.iter().sum();
    let mut cum = 0.0;
    let table = options
        .iter()
        .zip(&weights)
        .map(|(f, w)| {
            cum += w / total;
            (threshold(cum), (f * 10.0).round() as u8)
        })
        .collect();
    tables.push(table);
    Ok((tables.len() - 1) as u16)
}

fn hazard_bands(c: &Compiler<'_>, h: &RawHazard, bands: &[f64]) -> Result<(usize, usize), ConfigError> {
    let find = |key: &str, v: f64| -> Result<usize, ConfigError> {
        bands
            .iter()
            .position(|b| (b - v).abs() < 1e-9)
            .map(|i| i + 1)
            .ok_or_else(|| c.err(key, fmt_num(v), "age bounds must be one of model.age_bands_years"))
    };
    let lo = match h.age_min_years {
        Some(v) => find(&format!("hazard.{}.age_min_years", h.name), v)?,
        None => 0,
    };
    let hi = match h.age_max_years {
        Some(v) => find(&format!("hazard.{}.age_max_years", h.name), v)?,
        None => bands.len() + 1,
    };
    if lo >= hi {
        return Err(c.err(
            format!("hazard.{}.age_min_years", h.name),
            format!("{:?}..{:?}", h.age_min_years, h.age_max_years),
            "empty age range",
        ));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    fn tables(extra: &str) -> Result<HazardTables, ConfigError> {
        let raw = tiny_raw(extra);
        let c = compiler(&raw, 1.0);
        let groups = crate::mechanisms::retirement::compile(&c, &raw.group, 2020)?;
        let grades = crate::mechanisms::progression::compile(&c, &raw.grade, &groups)?;
        let bands = &raw.model.age_bands_years;
        compile(
            &c,
            &raw.hazard,
            &raw.ltft,
            raw.pause.enabled,
            &groups,
            &grades,
            bands,
            2020,
        )
    }

    const QUIT: &str = "[[hazard]]\nname = \"quit\"\ngrades = [\"consultant\"]\nstate = \"qualified\"\nto = \"gone\"\n";

    #[test]
    fn hazard_section_compiles_annual_rates_to_monthly_thresholds() {
        let t = tables(&format!("{QUIT}annual_rate = 0.5\n")).unwrap();
        let monthly = 1.0 - 0.5f64.powf(1.0 / 12.0);
        assert_eq!(t.names, ["quit"]);
        assert_eq!(t.years.len(), 1, "no multiplier: one table for every year");
        let outcomes = &t.years[0].outcomes;
        assert_eq!(outcomes.len(), 2, "one outcome per sex");
        assert_eq!(outcomes[0].cum_threshold, threshold(monthly));
        assert_eq!(
            (outcomes[0].to_state, outcomes[0].fte_choice),
            (State::Gone, FTE_UNCHANGED)
        );
    }

    #[test]
    fn a_yearly_multiplier_is_linear_between_its_years_and_held_outside() {
        let t = tables(&format!(
            "{QUIT}annual_rate = 0.1\nmultiplier_by_year = {{ 2021 = 1.0, 2023 = 2.0, 2024 = 0.5 }}\n"
        ))
        .unwrap();
        assert_eq!(
            (t.first_year, t.years.len()),
            (2020, 5),
            "2020 (start) to 2024 (last year given)"
        );
        let monthly = |a: f64| threshold(1.0 - (1.0 - a).powf(1.0 / 12.0));
        let by_year: Vec<u64> = t.years.iter().map(|y| y.outcomes[0].cum_threshold).collect();
        assert_eq!(
            by_year,
            [monthly(0.1), monthly(0.1), monthly(0.15), monthly(0.2), monthly(0.05)],
            "the multiplier scales the annual rate, then it is made monthly"
        );
        let m = Multiplier(vec![(2021, 1.0), (2023, 2.0)]);
        assert_eq!((m.at(1999), m.at(2022), m.at(2100)), (1.0, 1.5, 2.0));
    }

    #[test]
    fn a_multiplier_that_takes_a_rate_past_one_is_refused_naming_its_year() {
        let e = tables(&format!(
            "{QUIT}annual_rate = 0.6\nmultiplier_by_year = {{ 2020 = 1.0, 2022 = 2.0 }}\n"
        ));
        let (key, msg) = invalid(e.map(|_| ()));
        assert_eq!(key, "hazard.quit.multiplier_by_year");
        assert!(msg.contains("2022"), "{msg}");
        let e = tables(&format!(
            "{QUIT}annual_rate = 0.1\nmultiplier_by_year = {{ 2020 = -1.0 }}\n"
        ));
        assert_eq!(invalid(e.map(|_| ())).0, "hazard.quit.multiplier_by_year.2020");
        let e = tables(&format!(
            "{QUIT}annual_rate = 0.1\nmultiplier_by_year = {{ soon = 1.0 }}\n"
        ));
        assert_eq!(invalid(e.map(|_| ())).0, "hazard.quit.multiplier_by_year.soon");
    }

    #[test]
    fn hazard_section_refuses_competing_hazards_past_one() {
        let two = format!(
            "{QUIT}monthly_prob = 0.6\n{}monthly_prob = 0.6\n",
            QUIT.replace("quit", "go")
        );
        let e = tables(&two).map(|_| ());
        assert_eq!(invalid(e).0, "hazard.quit+go");
        let e = tables(&format!("{QUIT}monthly_prob = 0.1\nannual_rate = 0.1\n")).map(|_| ());
        assert_eq!(invalid(e).1, "give exactly one of monthly_prob and annual_rate");
    }

    #[test]
    fn age_bands_are_ascending_and_index_every_age() {
        let raw = tiny_raw("");
        let c = compiler(&raw, 1.0);
        let (n, band_of_age) = compile_age_bands(&c, &[30.0, 50.0]).unwrap();
        assert_eq!(
            (
                n,
                band_of_age[29 * 12],
                band_of_age[30 * 12],
                band_of_age[MAX_AGE_MONTHS]
            ),
            (3, 0, 1, 2)
        );
        assert_eq!(invalid(compile_age_bands(&c, &[50.0, 30.0])).0, "model.age_bands_years");
    }
}
