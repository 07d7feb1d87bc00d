//! Returners: SuppoRTT for trainees back after >= the threshold away (pause,
//! leave), Return to Practice for qualified staff back from the leaver pool.
//! Shorter absences return directly.

use crate::clinician::{Clinician, State};
use crate::rules::Rules;

use super::is_training;

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
