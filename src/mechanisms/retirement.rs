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
    let row = rules.row(c.grade, c.state);
    if c.age_months < row.retire_from {
        return None;
    }
    let forced = c.age_months >= row.retire_forced;
    (forced || fires(ctx.key, c.id(), Purpose::Retirement, row.retire_threshold)).then_some(row.retire_to)
}
