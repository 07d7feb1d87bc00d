//! The NHS Pension Scheme as rules of retirement: `[pensions]`.
//!
//! - **Sections.** A clinician joins the section open when they joined the
//!   scheme (`[[pensions.section]] joined_before`: 1995 before April 2008,
//!   2008 before April 2015, the 2015 scheme after) and carries it (flag
//!   bits). The initial population joined at `joined_at_age_years`, so its
//!   entry is dated by its age. A section's pension age is fixed (60, 65)
//!   or the State Pension Age of the member's birth cohort (the 2015
//!   scheme, at least 65). Members keep their legacy section's pension age
//!   after the 2022 move into the 2015 scheme (the McCloud remedy).
//! - **Special Class** (and Mental Health Officer) status: members of the
//!   named groups who joined before March 1995 hold it with a share, and
//!   reach their pension age at 55.
//! - **Early retirement**: a monthly probability by group from the early
//!   retirement age to the member's pension age; from it, the group's
//!   `retirement_monthly_prob`; at `max_working_age_years`, certain.
//! - **Retire-and-return**: a share of retirees in service (by group and
//!   year) come straight back at lower FTE, once. The published statistics
//!   count them as a leaver and a joiner; so do `count.leavers`,
//!   `rate.leaver` and `count.joiners`.
//! - **Pension-tax periods** (`[[pensions.tax_period]]`: the tapered annual
//!   allowance from April 2016, the 2019/20 changes, the 2023 Budget): while
//!   one is in force, the clinicians of its grades at or above its age whose
//!   fixed earnings rank is below its `affected_share` cut `tax_fte_cut` FTE
//!   at `cut_monthly_prob` a month and retire at `retirement_multiplier`
//!   times the rate; when no period affects them they restore the sessions.
//!
//! Everything here runs only in the general path of the month (a grade of
//! a tax period never takes the quiet shortcut; retirement rows start at
//! the earliest pension or early-retirement age).

use crate::calendar::YearMonth;
use crate::clinician::{
    Clinician, FLAG_RETIRED_RETURNED, FLAG_SECTION_MASK, FLAG_SECTION_SHIFT, FLAG_SPECIAL_CLASS, FLAG_TAX_CUT, State,
};
use crate::config::RawPensions;
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::random::{Purpose, draw_keyed, draw_u32, fires, threshold};
use crate::rules::{Compiler, Grade, Group, Rules, StepRow};

use super::Ctx;
use super::split::share_at;

/// Most sections (two flag bits).
pub const MAX_SECTIONS: usize = 4;

/// A section of the scheme.
#[derive(Clone, Debug)]
pub struct Section {
    /// Name.
    pub name: String,
    /// Members who joined before this absolute month (year x 12 + month - 1).
    joined_before: Option<i64>,
    /// Fixed pension age (months), or `None`: the State Pension Age.
    age_months: Option<u16>,
    /// Lowest pension age when it follows the State Pension Age.
    min_age_months: u16,
}

/// A pension-tax period.
#[derive(Clone, Debug)]
pub struct TaxPeriod {
    /// Name.
    pub name: String,
    /// First model month in force.
    pub from: u32,
    /// First model month no longer in force (`u32::MAX`: to the end).
    pub until: u32,
    grade: Vec<bool>,
    min_age_months: u16,
    affected: u64,
    cut_threshold: u64,
    retirement_multiplier: f64,
}

/// The compiled `[pensions]`.
#[derive(Clone, Debug)]
pub struct PensionRules {
    start_abs: i64,
    joined_at_age_months: u16,
    spa_by_birth_year: Vec<(i32, f64)>,
    /// Sections, in order of opening.
    pub sections: Vec<Section>,
    special_group: Vec<bool>,
    special_threshold: u64,
    special_before: i64,
    special_age_months: u16,
    early_age_months: u16,
    early_threshold: Vec<u64>,
    return_share: Vec<Vec<(i32, f64)>>,
    return_fte_cut: Vec<f64>,
    tax_cut_tenths: u8,
    /// Pension-tax periods.
    pub periods: Vec<TaxPeriod>,
    /// Grades some tax period covers (they never take the quiet month).
    pub tax_grade: Vec<bool>,
}

fn abs(ym: YearMonth) -> i64 {
    ym.year as i64 * 12 + ym.month as i64 - 1
}

/// Validates and compiles `[pensions]` (none: retirement by the groups'
/// pension ages alone).
pub(crate) fn compile(
    c: &Compiler<'_>,
    raw: Option<&RawPensions>,
    groups: &[Group],
    grades: &[Grade],
    start: YearMonth,
) -> Result<Option<PensionRules>, ConfigError> {
    let Some(p) = raw else { return Ok(None) };
    let date = |key: &str, s: &str| -> Result<YearMonth, ConfigError> {
        YearMonth::parse_checked(s).map_err(|m| c.err(key, format!("\"{s}\""), m))
    };
    let age = |key: &str, v: f64| -> Result<u16, ConfigError> {
        if !v.is_finite() || !(16.0..=100.0).contains(&v) {
            return Err(c.err(key, fmt_num(v), "an age in years, 16-100"));
        }
        Ok((v * 12.0).round() as u16)
    };
    let group_of = |key: &str, name: &str| -> Result<usize, ConfigError> {
        groups
            .iter()
            .position(|g| g.name == name)
            .ok_or_else(|| c.err(key, format!("\"{name}\""), "unknown group"))
    };
    let joined_at_age_months = age("pensions.joined_at_age_years", p.joined_at_age_years)?;
    let spa_by_birth_year = c.year_points(
        "pensions.state_pension_age_by_birth_year",
        &p.state_pension_age_by_birth_year,
        |k, v| {
            if v.is_finite() && (50.0..=80.0).contains(&v) {
                Ok(())
            } else {
                Err(c.err(k, fmt_num(v), "a State Pension Age in years, 50-80"))
            }
        },
    )?;
    if p.section.is_empty() || p.section.len() > MAX_SECTIONS {
        return Err(c.err(
            "pensions.section",
            p.section.len(),
            format!("need 1-{MAX_SECTIONS} sections"),
        ));
    }
    let mut sections = Vec::new();
    let mut last: Option<i64> = None;
    for (i, s) in p.section.iter().enumerate() {
        let k = |f: &str| format!("pensions.section.{}.{f}", s.name);
        let joined_before = match (&s.joined_before, i + 1 == p.section.len()) {
            (Some(d), false) => Some(abs(date(&k("joined_before"), d)?)),
            (None, true) => None,
            (Some(d), true) => {
                return Err(c.err(
                    k("joined_before"),
                    format!("\"{d}\""),
                    "the last section is open to every later joiner",
                ));
            }
            (None, false) => return Err(c.err(k("joined_before"), "(missing)", "every section but the last closes")),
        };
        if let (Some(b), Some(l)) = (joined_before, last)
            && b <= l
        {
            return Err(c.err(
                k("joined_before"),
                s.joined_before.as_deref().unwrap_or(""),
                "sections close in order",
            ));
        }
        last = joined_before.or(last);
        let age_months = s
            .pension_age_years
            .map(|v| age(&k("pension_age_years"), v))
            .transpose()?;
        let min_age_months = match (s.min_pension_age_years, age_months) {
            (Some(v), None) => age(&k("min_pension_age_years"), v)?,
            (Some(_), Some(_)) => {
                return Err(c.err(
                    k("min_pension_age_years"),
                    "(given)",
                    "only for a section at the State Pension Age",
                ));
            }
            (None, _) => 0,
        };
        sections.push(Section {
            name: s.name.clone(),
            joined_before,
            age_months,
            min_age_months,
        });
    }
    let mut special_group = vec![false; groups.len()];
    for g in &p.special_class_groups {
        special_group[group_of("pensions.special_class_groups", g)?] = true;
    }
    let special_threshold = threshold(c.prob("pensions.special_class_share", p.special_class_share)?);
    let (special_before, special_age_months) = if special_group.iter().any(|&b| b) {
        let Some(d) = &p.special_class_joined_before else {
            return Err(c.err(
                "pensions.special_class_joined_before",
                "(missing)",
                "Special Class needs its closing date",
            ));
        };
        let Some(a) = p.special_class_pension_age_years else {
            return Err(c.err(
                "pensions.special_class_pension_age_years",
                "(missing)",
                "Special Class needs its pension age",
            ));
        };
        (
            abs(date("pensions.special_class_joined_before", d)?),
            age("pensions.special_class_pension_age_years", a)?,
        )
    } else {
        (i64::MIN, u16::MAX)
    };
    let early_age_months = age("pensions.early_retirement_age_years", p.early_retirement_age_years)?;
    let mut early_threshold = vec![0u64; groups.len()];
    for (g, &v) in &p.early_retirement_monthly_prob {
        let key = format!("pensions.early_retirement_monthly_prob.{g}");
        early_threshold[group_of(&key, g)?] = threshold(c.prob(&key, v)?);
    }
    let mut return_share = vec![Vec::new(); groups.len()];
    for (g, s) in &p.retire_and_return_share {
        let key = format!("pensions.retire_and_return_share.{g}");
        let gi = group_of(&key, g)?;
        return_share[gi] = c.year_points(&key, s, |k, v| c.prob(k, v).map(|_| ()))?;
    }
    let mut return_fte_cut = vec![0.0; groups.len()];
    for (g, &v) in &p.retire_and_return_fte_cut {
        let key = format!("pensions.retire_and_return_fte_cut.{g}");
        let gi = group_of(&key, g)?;
        if !v.is_finite() || !(0.0..1.0).contains(&v) {
            return Err(c.err(key, fmt_num(v), "a share of FTE in [0, 1)"));
        }
        return_fte_cut[gi] = v;
    }
    let tax_cut_tenths = c.fte("pensions.tax_fte_cut", p.tax_fte_cut)?;
    if !p.tax_period.is_empty() && !(1..10).contains(&tax_cut_tenths) {
        return Err(c.err(
            "pensions.tax_fte_cut",
            fmt_num(p.tax_fte_cut),
            "an FTE of 0.1-0.9 given up",
        ));
    }
    let mut periods = Vec::new();
    let mut tax_grade = vec![false; grades.len()];
    let start_abs = abs(start);
    for t in &p.tax_period {
        let k = |f: &str| format!("pensions.tax_period.{}.{f}", t.name);
        let from_abs = abs(date(&k("from"), &t.from)?);
        if from_abs < start_abs {
            return Err(c.err(
                k("from"),
                format!("\"{}\"", t.from),
                format!("before the model start {start}: a switch must fall inside the run"),
            ));
        }
        let until = match &t.until {
            Some(u) => {
                let u_abs = abs(date(&k("until"), u)?);
                if u_abs <= from_abs {
                    return Err(c.err(k("until"), format!("\"{u}\""), "must come after `from`"));
                }
                (u_abs - start_abs).min(u32::MAX as i64 - 1) as u32
            }
            None => u32::MAX,
        };
        let from = (from_abs - start_abs) as u32;
        if periods.iter().any(|q: &TaxPeriod| q.from < until && from < q.until) {
            return Err(c.err(k("from"), format!("\"{}\"", t.from), "tax periods may not overlap"));
        }
        let mut grade = vec![false; grades.len()];
        if t.grades.is_empty() {
            return Err(c.err(k("grades"), "[]", "name at least one grade"));
        }
        for g in &t.grades {
            let gi = c.grade(&k("grades"), g, grades)? as usize;
            grade[gi] = true;
            tax_grade[gi] = true;
        }
        let multiplier = t.retirement_multiplier;
        if !multiplier.is_finite() || !(0.0..=100.0).contains(&multiplier) {
            return Err(c.err(
                k("retirement_multiplier"),
                fmt_num(multiplier),
                "a multiplier in [0, 100]",
            ));
        }
        periods.push(TaxPeriod {
            name: t.name.clone(),
            from,
            until,
            grade,
            min_age_months: age(&k("min_age_years"), t.min_age_years)?,
            affected: threshold(c.prob(&k("affected_share"), t.affected_share)?),
            cut_threshold: threshold(c.prob(&k("cut_monthly_prob"), t.cut_monthly_prob)?),
            retirement_multiplier: multiplier,
        });
    }
    Ok(Some(PensionRules {
        start_abs,
        joined_at_age_months,
        spa_by_birth_year,
        sections,
        special_group,
        special_threshold,
        special_before,
        special_age_months,
        early_age_months,
        early_threshold,
        return_share,
        return_fte_cut,
        tax_cut_tenths,
        periods,
        tax_grade,
    }))
}

/// Earliest age (months) at which anyone of a group may retire: early
/// retirement, Special Class or a section's pension age.
fn earliest_age(p: &PensionRules, group: usize) -> u16 {
    let mut a = p.early_age_months;
    if p.special_group[group] {
        a = a.min(p.special_age_months);
    }
    for s in &p.sections {
        a = a.min(s.age_months.unwrap_or(s.min_age_months.max(1)));
    }
    a
}

/// Adjusts the hot-loop rows: retirement rows start at the earliest age
/// of the group, and the grades of a tax period never take the quiet month.
pub(crate) fn adjust_rows(p: &PensionRules, grades: &[Grade], rows: &mut [StepRow]) {
    for (g, grade) in grades.iter().enumerate() {
        for s in 0..State::COUNT {
            let row = &mut rows[g * State::COUNT + s];
            if row.retire_from != u16::MAX {
                row.retire_from = row.retire_from.min(earliest_age(p, grade.group as usize));
            }
            if p.tax_grade[g] && State::from_u8(s as u8) == State::Qualified {
                row.quiet = None;
            }
        }
    }
}

/// Gives a clinician joining the scheme in absolute month `entry` (year x
/// 12 + month - 1) its section and Special Class status.
pub fn assign(rules: &Rules, c: &mut Clinician, seed: u64, entry: i64) {
    let Some(p) = &rules.pensions else { return };
    let section = p
        .sections
        .iter()
        .position(|s| s.joined_before.is_none_or(|b| entry < b))
        .unwrap_or(p.sections.len() - 1);
    c.flags = (c.flags & !FLAG_SECTION_MASK) | ((section as u8) << FLAG_SECTION_SHIFT);
    let group = rules.group_of(c.grade) as usize;
    if p.special_group[group]
        && entry < p.special_before
        && (draw_u32(seed, c.id(), 0, Purpose::Pension) as u64) < p.special_threshold
    {
        c.flags |= FLAG_SPECIAL_CLASS;
    }
}

/// The absolute month at which a member of the initial population (month
/// 0) joined the scheme.
pub fn initial_entry(p: &PensionRules, age_months: u16) -> i64 {
    p.start_abs - age_months.saturating_sub(p.joined_at_age_months) as i64
}

/// The absolute month of model month `m`.
pub fn entry_at(rules: &Rules, m: u32) -> i64 {
    abs(rules.start) + m as i64
}

/// A clinician's section index.
pub fn section_of(c: &Clinician) -> usize {
    ((c.flags & FLAG_SECTION_MASK) >> FLAG_SECTION_SHIFT) as usize
}

/// The member's normal pension age in months, in model month `month`.
pub fn pension_age(p: &PensionRules, c: &Clinician, month: u32) -> u16 {
    if c.flags & FLAG_SPECIAL_CLASS != 0 {
        return p.special_age_months;
    }
    let s = &p.sections[section_of(c).min(p.sections.len() - 1)];
    s.age_months.unwrap_or_else(|| {
        let born = p.start_abs + month as i64 - c.age_months as i64;
        let spa = (share_at(&p.spa_by_birth_year, born.div_euclid(12) as i32) * 12.0).round() as u16;
        spa.max(s.min_age_months)
    })
}

/// The tax period in force in `month` that affects this clinician, if any.
fn affecting<'a>(p: &'a PensionRules, c: &Clinician, ctx: Ctx) -> Option<&'a TaxPeriod> {
    let t = p
        .periods
        .iter()
        .find(|t| t.from <= ctx.month && ctx.month < t.until && t.grade[c.grade as usize])?;
    (c.state == State::Qualified
        && c.age_months >= t.min_age_months
        && (draw_keyed(ctx.key0, c.id(), Purpose::TaxRank) as u64) < t.affected)
        .then_some(t)
}

/// The monthly retirement threshold of a clinician at or past its row's
/// `retire_from` and before the forced age: early retirement before the
/// member's pension age, the group's rate from it, times a tax period's
/// multiplier while one affects it.
pub fn retirement_threshold(p: &PensionRules, rules: &Rules, c: &Clinician, ctx: Ctx, normal: u64) -> u64 {
    let group = rules.group_of(c.grade) as usize;
    let base = if c.age_months >= pension_age(p, c, ctx.month) {
        normal
    } else if c.age_months >= p.early_age_months {
        p.early_threshold[group]
    } else {
        0
    };
    match affecting(p, c, ctx) {
        Some(t) if base > 0 => ((base as f64 * t.retirement_multiplier) as u64).min(1 << 32),
        _ => base,
    }
}

/// Whether a retiring clinician returns at once (retire-and-return): in
/// service, not at the forced age, not returned before.
pub fn returns(p: &PensionRules, rules: &Rules, c: &Clinician, ctx: Ctx, forced: bool) -> bool {
    if forced || c.state != State::Qualified || c.flags & FLAG_RETIRED_RETURNED != 0 {
        return false;
    }
    let group = rules.group_of(c.grade) as usize;
    let pts = &p.return_share[group];
    if pts.is_empty() {
        return false;
    }
    let year = rules.start.plus(ctx.month).year;
    let thr = threshold(share_at(pts, year));
    fires(ctx.key, c.id(), Purpose::RetireReturn, thr)
}

/// Restores the sessions a clinician cut under a tax period (on leaving
/// the post, or retiring).
#[inline]
pub fn restore_sessions(rules: &Rules, c: &mut Clinician) {
    if c.flags & FLAG_TAX_CUT != 0 {
        if let Some(p) = &rules.pensions {
            c.fte_tenths = (c.fte_tenths + p.tax_cut_tenths).min(10);
        }
        c.flags &= !FLAG_TAX_CUT;
    }
}

/// A retiree comes back in the same post at lower FTE (at least 0.1).
pub fn come_back(p: &PensionRules, rules: &Rules, c: &mut Clinician) {
    restore_sessions(rules, c);
    let cut = p.return_fte_cut[rules.group_of(c.grade) as usize];
    let fte = (c.fte_tenths as f64 * (1.0 - cut)).round() as u8;
    c.fte_tenths = fte.clamp(1, c.fte_tenths.max(1));
    c.flags = (c.flags | FLAG_RETIRED_RETURNED) & !FLAG_TAX_CUT;
    c.months_in_state = 0;
}

/// Sessions under the tax periods: an affected clinician cuts at the
/// period's monthly probability; one no longer affected restores them.
pub fn tax_sessions(p: &PensionRules, c: &mut Clinician, ctx: Ctx) {
    if c.state != State::Qualified {
        return;
    }
    let cut = p.tax_cut_tenths;
    match (affecting(p, c, ctx), c.flags & FLAG_TAX_CUT != 0) {
        (Some(t), false) if c.fte_tenths > cut && fires(ctx.key, c.id(), Purpose::TaxCut, t.cut_threshold) => {
            c.fte_tenths -= cut;
            c.flags |= FLAG_TAX_CUT;
        }
        (None, true) => {
            c.fte_tenths = (c.fte_tenths + cut).min(10);
            c.flags &= !FLAG_TAX_CUT;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{invalid, tiny_raw};

    const PENSIONS: &str = "[pensions]\njoined_at_age_years = 25\n\
        state_pension_age_by_birth_year = { 1900 = 65, 1955 = 66, 1961 = 67 }\n\
        early_retirement_age_years = 55\n\
        early_retirement_monthly_prob = { doctor = 0.01 }\n\
        tax_fte_cut = 0.2\n\
        [[pensions.section]]\nname = '1995'\njoined_before = '2008-04'\npension_age_years = 60\n\
        [[pensions.section]]\nname = '2015'\nmin_pension_age_years = 65\n\
        [[pensions.tax_period]]\nname = 'taper'\nfrom = '2021-04'\nuntil = '2021-06'\ngrades = ['consultant']\n\
        min_age_years = 50\naffected_share = 1.0\ncut_monthly_prob = 1.0\nretirement_multiplier = 2.0\n";

    fn rules_of(extra: &str) -> Result<Rules, ConfigError> {
        crate::rules::compile("t.toml", &tiny_raw(extra), "")
    }

    fn consultant(rules: &Rules, age_years: u16) -> Clinician {
        Clinician {
            id_lo: 7,
            age_months: age_years * 12,
            months_in_state: 0,
            progress_tenths: 0,
            pathway_start: 0,
            id_hi: 0,
            grade: rules.grade_index("consultant").unwrap(),
            state: State::Qualified,
            region: 0,
            fte_tenths: 10,
            flags: 0,
            paused_months: 0,
        }
    }

    #[test]
    fn sections_follow_the_joining_date_and_the_state_pension_age() {
        let rules = rules_of(PENSIONS).unwrap();
        let p = rules.pensions.as_ref().unwrap();
        // Start 2020-08: a 59-year-old joined at 25 in 1986 (1995 section,
        // pension age 60); one who joined in 2020 is in the 2015 scheme.
        let mut old = consultant(&rules, 59);
        let entry = initial_entry(p, old.age_months);
        assign(&rules, &mut old, 1, entry);
        assert_eq!(section_of(&old), 0);
        assert_eq!(pension_age(p, &old, 0), 720);
        let mut young = consultant(&rules, 40);
        assign(&rules, &mut young, 1, entry_at(&rules, 0));
        assert_eq!(section_of(&young), 1);
        // Born 1980: State Pension Age 67.
        assert_eq!(pension_age(p, &young, 0), 67 * 12);
        // Born mid-1950s: 66, and never under the section's 65.
        let mut older = consultant(&rules, 64);
        assign(&rules, &mut older, 1, entry_at(&rules, 0));
        assert_eq!(pension_age(p, &older, 0), 66 * 12);
        // Retirement rows start at the early retirement age.
        let g = rules.grade_index("consultant").unwrap();
        assert_eq!(rules.row(g, State::Qualified).retire_from, 55 * 12);
        // The tax period's grade never takes the quiet month.
        assert!(rules.row(g, State::Qualified).quiet.is_none());
    }

    #[test]
    fn retirement_before_pension_age_is_early_and_a_tax_period_multiplies_it() {
        let rules = rules_of(PENSIONS).unwrap();
        let p = rules.pensions.as_ref().unwrap();
        let mut c = consultant(&rules, 56);
        let entry = initial_entry(p, c.age_months);
        assign(&rules, &mut c, 1, entry);
        let normal = threshold(0.05);
        let before = Ctx::new(1, 3);
        assert_eq!(retirement_threshold(p, &rules, &c, before, normal), threshold(0.01));
        // 2021-04 is month 8 from 2020-08: in force until 2021-06 (month 10).
        assert_eq!(
            retirement_threshold(p, &rules, &c, Ctx::new(1, 8), normal),
            threshold(0.01) * 2
        );
        assert_eq!(
            retirement_threshold(p, &rules, &c, Ctx::new(1, 10), normal),
            threshold(0.01)
        );
        c.age_months = 61 * 12;
        assert_eq!(retirement_threshold(p, &rules, &c, before, normal), normal);
        // Under 55: no retirement.
        c.age_months = 54 * 12;
        assert_eq!(retirement_threshold(p, &rules, &c, before, normal), 0);
    }

    #[test]
    fn sessions_are_cut_only_while_a_tax_period_is_in_force() {
        let rules = rules_of(PENSIONS).unwrap();
        let p = rules.pensions.as_ref().unwrap();
        let mut c = consultant(&rules, 52);
        tax_sessions(p, &mut c, Ctx::new(1, 7));
        assert_eq!(c.fte_tenths, 10);
        tax_sessions(p, &mut c, Ctx::new(1, 8));
        assert_eq!(c.fte_tenths, 8);
        tax_sessions(p, &mut c, Ctx::new(1, 9));
        assert_eq!(c.fte_tenths, 8);
        tax_sessions(p, &mut c, Ctx::new(1, 10));
        assert_eq!((c.fte_tenths, c.flags & FLAG_TAX_CUT), (10, 0));
        // Too young to be affected.
        let mut y = consultant(&rules, 45);
        tax_sessions(p, &mut y, Ctx::new(1, 8));
        assert_eq!(y.fte_tenths, 10);
    }

    #[test]
    fn pension_errors_name_their_key() {
        let e = |extra: &str| invalid(rules_of(extra)).0;
        assert_eq!(
            e(&PENSIONS.replace("2021-04", "2019-01")),
            "pensions.tax_period.taper.from"
        );
        assert_eq!(
            e(&PENSIONS.replace("'2021-06'", "'2021-02'")),
            "pensions.tax_period.taper.until"
        );
        assert_eq!(
            e(&PENSIONS.replace("['consultant']", "['astronaut']")),
            "pensions.tax_period.taper.grades"
        );
        assert_eq!(
            e(&PENSIONS.replace("{ doctor = 0.01 }", "{ dentist = 0.01 }")),
            "pensions.early_retirement_monthly_prob.dentist"
        );
        assert_eq!(
            e(&PENSIONS.replace("joined_before = '2008-04'\n", "")),
            "pensions.section.1995.joined_before"
        );
        assert_eq!(
            e(&PENSIONS.replace("{ 1900 = 65,", "{ 1900 = 165,")),
            "pensions.state_pension_age_by_birth_year.1900"
        );
    }
}
