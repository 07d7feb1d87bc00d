//! Retirement by age: NHS pension ages (1995 section 60, 2008 section 65,
//! 2015 scheme = State Pension Age) as a monthly probability from the
//! group's pension age, and a forced exit at its maximum working age.

use crate::clinician::{Clinician, State};
use crate::config::RawGroup;
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::random::threshold;
use crate::random::{Purpose, fires};
use crate::rules::{Compiler, Group, Rules, check_unique};

use super::{Ctx, establishment};

/// The state a clinician retires to this month, if any, and whether the
/// retirement was forced (the maximum working age). With `[pensions]` the
/// probability follows the member's section (`mechanisms::pension`).
#[inline(always)]
pub fn retires(rules: &Rules, c: &Clinician, ctx: Ctx) -> Option<(State, bool)> {
    let row = rules.row(c.grade, c.state);
    if c.age_months < row.retire_from {
        return None;
    }
    if c.age_months >= row.retire_forced {
        return Some((row.retire_to, true));
    }
    let thr = match &rules.pensions {
        None => row.retire_threshold,
        Some(p) => super::pension::retirement_threshold(p, rules, c, ctx, row.retire_threshold),
    };
    fires(ctx.key, c.id(), Purpose::Retirement, thr).then_some((row.retire_to, false))
}

/// Validates and compiles `[[group]]`: each staff group's retirement rules
/// (pension age, monthly retirement probability, maximum working age, where
/// retirement goes) and, through `establishment::compile`, its establishment.
pub(crate) fn compile(c: &Compiler<'_>, raw_groups: &[RawGroup], start_year: i32) -> Result<Vec<Group>, ConfigError> {
    let mut groups = Vec::new();
    for g in raw_groups {
        let k = |f: &str| format!("group.{}.{f}", g.name);
        let pension = c.positive(&k("pension_age_years"), g.pension_age_years)?;
        let max_age = c.positive(&k("max_working_age_years"), g.max_working_age_years)?;
        if max_age < pension || max_age > 100.0 {
            return Err(c.err(
                k("max_working_age_years"),
                fmt_num(max_age),
                "must be at least the pension age and at most 100",
            ));
        }
        let retire_to = c.state(&k("retire_to"), &g.retire_to, true)?;
        if !matches!(retire_to, State::Gone | State::Leaver) {
            return Err(c.err(k("retire_to"), &g.retire_to, "retirement goes to `gone` or `leaver`"));
        }
        let establishment = establishment::compile(c, g, start_year)?;
        groups.push(Group {
            name: g.name.clone(),
            pension_age_months: (pension * 12.0).round() as u16,
            retire_threshold: threshold(c.prob(&k("retirement_monthly_prob"), g.retirement_monthly_prob)?),
            max_age_months: (max_age * 12.0).round() as u16,
            retire_to,
            students_retire: g.students_retire,
            establishment,
        });
    }
    if groups.is_empty() || groups.len() > 255 {
        return Err(c.err("group", groups.len(), "need 1-255 groups"));
    }
    check_unique(c, "group", &groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>())?;
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    #[test]
    fn group_section_compiles_ages_in_months_and_checks_them() {
        let raw = tiny_raw("");
        let groups = compile(&compiler(&raw, 1.0), &raw.group, 2020).unwrap();
        assert_eq!((groups[0].pension_age_months, groups[0].max_age_months), (780, 840));
        assert_eq!(groups[0].retire_to, State::Gone);
        let mut too_young = raw.group.clone();
        too_young[0].max_working_age_years = 60.0;
        let e = invalid(compile(&compiler(&raw, 1.0), &too_young, 2020));
        assert_eq!(e.0, "group.doctor.max_working_age_years");
    }
}
