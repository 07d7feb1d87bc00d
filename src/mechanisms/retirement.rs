//! Retirement by age: NHS pension ages (1995 section 60, 2008 section 65,
//! 2015 scheme = State Pension Age) as a monthly probability from the
//! group's pension age, and a forced exit at its maximum working age.

use crate::clinician::{Clinician, State};
use crate::random::{Purpose, fires};
use crate::rules::Rules;

use super::Ctx;

/// The state a clinician retires to this month, if any.
#[inline(always)]
pub fn retires(rules: &Rules, c: &Clinician, ctx: Ctx) -> Option<State> {
    let g = &rules.groups[rules.group_of(c.grade) as usize];
    if c.age_months < g.pension_age_months || (c.state == State::Student && !g.students_retire) {
        return None;
    }
    if c.state == State::Leaver && g.retire_to == State::Leaver {
        return None;
    }
    let forced = c.age_months >= g.max_age_months;
    (forced || fires(ctx.seed, c.id, ctx.month, Purpose::Retirement, g.retire_threshold)).then_some(g.retire_to)
}
