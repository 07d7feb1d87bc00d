//! Competing monthly hazards: one uniform per clinician-month decides which,
//! if any, of the outcomes of its (grade, state, age band, sex) cell fires.
//! Leaving, LTFT uptake, pause uptake, leaver returns and course attrition are
//! all hazards: their rates are data in `[[hazard]]`.

use crate::clinician::Clinician;
use crate::random::{Purpose, draw_keyed};
use crate::rules::{Outcome, Rules};

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
