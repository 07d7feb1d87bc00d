//! Returners: SuppoRTT for trainees back after >= the threshold away (pause,
//! leave), Return to Practice for qualified staff back from the leaver pool.
//! Shorter absences return directly.

use crate::clinician::{Clinician, State};
use crate::config::RawReturners;
use crate::error::ConfigError;
use crate::rules::{Compiler, Rules};

use super::is_training;

/// Returner rules.
#[derive(Clone, Debug)]
pub struct ReturnerRules {
    /// Months away from which returns go through the Returner state.
    pub threshold_months: u16,
    /// SuppoRTT months (0 = off).
    pub supportt_months: u16,
    /// Progress tenths per SuppoRTT month.
    pub supportt_progress_tenths: u16,
    /// Return to Practice months (0 = off).
    pub rtp_months: u16,
}

/// The state a return goes to, given months away and the intended state.
pub fn route(rules: &Rules, grade: u8, months_away: u16, intended: State) -> State {
    let r = &rules.returners;
    let training = is_training(rules, grade);
    let support = if training { r.supportt_months } else { r.rtp_months };
    if support > 0 && months_away >= r.threshold_months {
        State::Returner
    } else if intended == State::Returner {
        if training { State::Trainee } else { State::Qualified }
    } else if training && intended == State::Qualified {
        State::Trainee
    } else {
        intended
    }
}

/// Progress (tenths) a returner accrues in a month.
#[inline(always)]
pub fn progress_per_month(rules: &Rules, grade: u8) -> u16 {
    if is_training(rules, grade) {
        rules.returners.supportt_progress_tenths
    } else {
        0
    }
}

/// The state a returner moves to when support ends this month, if it does.
#[inline(always)]
pub fn finished(rules: &Rules, c: &Clinician) -> Option<State> {
    let training = is_training(rules, c.grade);
    let months = if training {
        rules.returners.supportt_months
    } else {
        rules.returners.rtp_months
    };
    let next = match (training, c.fte_tenths >= 10) {
        (true, true) => State::Trainee,
        (true, false) => State::Ltft,
        (false, _) => State::Qualified,
    };
    (c.months_in_state >= months).then_some(next)
}

/// Validates and compiles `[returners]`.
pub(crate) fn compile(c: &Compiler<'_>, rt: &RawReturners) -> Result<ReturnerRules, ConfigError> {
    if rt.threshold_months > 240 || rt.supportt_months > 60 || rt.rtp_months > 60 {
        return Err(c.err(
            "returners",
            format!("{rt:?}"),
            "months out of range (threshold <= 240, supportt/rtp <= 60)",
        ));
    }
    Ok(ReturnerRules {
        threshold_months: rt.threshold_months as u16,
        supportt_months: rt.supportt_months as u16,
        supportt_progress_tenths: (c.prob("returners.supportt_progress_fraction", rt.supportt_progress_fraction)?
            * 10.0)
            .round() as u16,
        rtp_months: rt.rtp_months as u16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    #[test]
    fn returners_section_compiles_progress_in_tenths() {
        let raw = tiny_raw("[returners]\nsupportt_progress_fraction = 0.5\n");
        assert_eq!(
            compile(&compiler(&raw, 1.0), &raw.returners)
                .unwrap()
                .supportt_progress_tenths,
            5
        );
        let raw = tiny_raw("[returners]\nthreshold_months = 241\n");
        assert_eq!(invalid(compile(&compiler(&raw, 1.0), &raw.returners)).0, "returners");
    }
}
