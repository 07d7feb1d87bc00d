//! Out of programme, including OOP Pause: eligibility (pause-eligible grade,
//! enough training left), the cap on months out, credit of a fraction of the
//! paused months on return, and first-come-first-served approval capacity.

use crate::clinician::{Clinician, State};
use crate::config::RawPause;
use crate::error::ConfigError;
use crate::ledger::{Duration, Tally};
use crate::limits::fmt_num;
use crate::rules::{Compiler, Rules};

/// OOP Pause rules.
#[derive(Clone, Debug)]
pub struct PauseRules {
    /// Pause hazards may fire.
    pub enabled: bool,
    /// Cap in months.
    pub max_months: u16,
    /// Remaining training needed, tenths of WTE-months.
    pub min_remaining_tenths: u16,
    /// Credit fraction on return.
    pub credit_fraction: f64,
    /// Approvals per approval year.
    pub capacity_per_year: Option<u32>,
    /// Calendar month the approval year starts.
    pub year_start_month: u32,
}

/// Whether a trainee may go on pause now.
#[inline(always)]
pub fn eligible(rules: &Rules, c: &Clinician) -> bool {
    let g = &rules.grades[c.grade as usize];
    matches!(c.state, State::Trainee | State::Ltft)
        && g.pause_eligible
        && g.duration_tenths.saturating_sub(c.progress_tenths) >= rules.pause.min_remaining_tenths
}

/// Whether the pause has reached its cap this month.
#[inline(always)]
pub fn at_cap(rules: &Rules, c: &Clinician) -> bool {
    c.paused_months as u16 >= rules.pause.max_months
}

/// Credits paused months on return and records the pause length.
pub fn on_return(rules: &Rules, c: &mut Clinician, tally: &mut Tally) {
    let credit = (rules.pause.credit_fraction * c.paused_months as f64 * 10.0).round() as u16;
    c.progress_tenths = c.progress_tenths.saturating_add(credit);
    tally.durations.push((Duration::PauseLength, c.paused_months as u32));
}

/// Approval capacity left this month, given approvals so far in the
/// approval year; `None` = unlimited.
pub fn capacity_left(rules: &Rules, used_this_year: u32) -> Option<u32> {
    rules
        .pause
        .capacity_per_year
        .map(|cap| cap.saturating_sub(used_this_year))
}

/// Validates and compiles `[pause]`.
pub(crate) fn compile(c: &Compiler<'_>, p: &RawPause) -> Result<PauseRules, ConfigError> {
    if p.max_months == 0 || p.max_months > 120 {
        return Err(c.err("pause.max_months", p.max_months, "must be 1..=120"));
    }
    if p.min_remaining_wte_months < 0.0 || !p.min_remaining_wte_months.is_finite() {
        return Err(c.err(
            "pause.min_remaining_wte_months",
            fmt_num(p.min_remaining_wte_months),
            "must be >= 0",
        ));
    }
    if !(1..=12).contains(&p.capacity_year_start_month) {
        return Err(c.err(
            "pause.capacity_year_start_month",
            p.capacity_year_start_month,
            "must be 1-12",
        ));
    }
    let capacity_per_year = match p.approval_capacity_per_year {
        Some(cap) => Some((c.count("pause.approval_capacity_per_year", cap)? / c.scale).round() as u32),
        None => None,
    };
    Ok(PauseRules {
        enabled: p.enabled,
        max_months: p.max_months as u16,
        min_remaining_tenths: (p.min_remaining_wte_months * 10.0).round() as u16,
        credit_fraction: c.prob("pause.credit_fraction", p.credit_fraction)?,
        capacity_per_year,
        year_start_month: p.capacity_year_start_month,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mechanisms::{Ctx, enter};
    use crate::testutil::tiny_rules;
    use crate::testutil::{compiler, invalid, tiny_raw};

    fn trainee(rules: &Rules, progress: u16) -> Clinician {
        Clinician {
            id_lo: 1,
            id_hi: 0,
            age_months: 360,
            months_in_state: 0,
            progress_tenths: progress,
            pathway_start: 0,
            grade: rules.grade_index("st").unwrap(),
            state: State::Trainee,
            region: 0,
            fte_tenths: 10,
            flags: 0,
            paused_months: 0,
        }
    }

    #[test]
    fn credit_fraction_applies_on_return() {
        let rules = tiny_rules("[pause]\ncredit_fraction = 0.5\nmax_months = 12\n");
        let mut c = trainee(&rules, 100);
        let mut t = Tally::new(rules.n_stock_cells());
        let ctx = Ctx::new(1, 5);
        let grade = c.grade;
        enter(&rules, &mut c, State::Pause, grade, u16::MAX, ctx, &mut t);
        c.paused_months = 8;
        enter(&rules, &mut c, State::Trainee, grade, u16::MAX, ctx, &mut t);
        assert_eq!(c.progress_tenths, 140, "8 months at 0.5 credit = 4 WTE-months");
        assert_eq!(t.durations, vec![(Duration::PauseLength, 8)]);
    }

    #[test]
    fn eligibility_needs_grade_and_remaining_training() {
        let rules = tiny_rules("[pause]\nmin_remaining_wte_months = 6\n");
        assert!(eligible(&rules, &trainee(&rules, 0)));
        // st lasts 48 WTE-months: with 43 done only 5 remain.
        assert!(!eligible(&rules, &trainee(&rules, 430)));
        let mut ct = trainee(&rules, 0);
        ct.grade = rules.grade_index("ct").unwrap();
        assert!(!eligible(&rules, &ct));
    }

    #[test]
    fn pause_section_compiles_and_scales_its_capacity() {
        let raw = tiny_raw("[pause]\napproval_capacity_per_year = 100\ncredit_fraction = 0.5\n");
        let p = compile(&compiler(&raw, 4.0), &raw.pause).unwrap();
        assert_eq!(
            (p.capacity_per_year, p.credit_fraction, p.max_months),
            (Some(25), 0.5, 12)
        );
        let raw = tiny_raw("[pause]\nmax_months = 0\n");
        assert_eq!(invalid(compile(&compiler(&raw, 1.0), &raw.pause)).0, "pause.max_months");
        let raw = tiny_raw("[pause]\ncapacity_year_start_month = 13\n");
        assert_eq!(
            invalid(compile(&compiler(&raw, 1.0), &raw.pause)).0,
            "pause.capacity_year_start_month"
        );
    }
}
