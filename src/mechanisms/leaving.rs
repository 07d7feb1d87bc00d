//! Leaving NHS service. Leaving is a hazard into `leaver` (the pool that may
//! return) or `gone` (permanent); retirement is in `retirement`. This module
//! defines what counts as a leaver for the leaver-rate KPI, which, like the
//! NHS definition, counts exits from active service.

use crate::clinician::State;

/// Whether a flow between two states is a leaving from active service.
pub fn is_leaving(from: Option<State>, to: Option<State>) -> bool {
    let active = |s: State| {
        matches!(
            s,
            State::Trainee | State::Ltft | State::Qualified | State::Returner | State::Pause
        )
    };
    match (from, to) {
        (Some(f), Some(State::Leaver)) => active(f),
        (Some(f), None) => active(f),
        _ => false,
    }
}

/// Whether a state counts as in active employment (denominator of leaver rates).
pub fn is_employed(s: State) -> bool {
    matches!(s, State::Trainee | State::Ltft | State::Qualified | State::Returner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaving_counts_exits_from_active_service_only() {
        assert!(is_leaving(Some(State::Qualified), Some(State::Leaver)));
        assert!(is_leaving(Some(State::Trainee), None));
        assert!(!is_leaving(Some(State::Student), None));
        assert!(!is_leaving(Some(State::Leaver), None));
        assert!(!is_leaving(Some(State::Trainee), Some(State::Ltft)));
    }
}
