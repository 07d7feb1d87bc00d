//! The rules of the model, one module per mechanism. Each is a set of pure
//! functions of (rules, clinician, keyed draws); none does IO or fails.
//! The order in which they run each month is in `crate::schedule`.
//!
//! Each module also owns its config section: a `compile` that validates it
//! and builds its compiled rules (the only fallible code in a mechanism, run
//! once at load), listed in order in `crate::rules::compile`. A new
//! mechanism is its module here, its `Rules` field and one line there.

pub mod cost;
pub mod establishment;
pub mod hazards;
pub mod ics;
pub mod inflow;
pub mod leaving;
pub mod ltft;
pub mod nursing_field;
pub mod pause;
pub mod pension;
pub mod progression;
pub mod recruitment;
pub mod retirement;
pub mod returners;
pub mod specialty;
pub(crate) mod split;

use crate::clinician::{Clinician, FLAG_FROM_LEAVER, FLAG_PATHWAY_KNOWN, State};
use crate::ledger::{Duration, Tally};
use crate::random::{Purpose, draw_u32};
use crate::rules::{FTE_UNCHANGED, GradeKind, Rules};

/// What every mechanism needs to know about the month being stepped.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// Run seed.
    pub seed: u64,
    /// Month index being stepped (1 = first simulated month).
    pub month: u32,
    /// `random::month_key(seed, month)`, mixed once for the whole month.
    pub key: u64,
    /// `random::month_key(seed, 0)`: the key of draws fixed for a
    /// clinician's whole run (its pension-tax earnings rank).
    pub key0: u64,
}

impl Ctx {
    /// The context of month `month` of a run with `seed`.
    pub fn new(seed: u64, month: u32) -> Ctx {
        Ctx {
            seed,
            month,
            key: crate::random::month_key(seed, month),
            key0: crate::random::month_key(seed, 0),
        }
    }
}

/// Draws FTE tenths around a mean: floor or ceil of mean x 10, with the
/// probability that makes the expectation exact.
pub fn fte_around(mean: f64, seed: u64, id: u64, month: u32) -> u8 {
    let x = (mean * 10.0).clamp(0.0, 10.0);
    let lo = x.floor();
    let frac = x - lo;
    if frac <= 0.0 {
        return lo as u8;
    }
    let u = draw_u32(seed, id, month, Purpose::Fte) as f64 / 4_294_967_296.0;
    (lo + (u < frac) as u8 as f64) as u8
}

/// Moves a clinician into `to` (and `to_grade`), applying the entry and exit
/// effects of each state. The single place where states change.
pub fn enter(rules: &Rules, c: &mut Clinician, to: State, to_grade: u8, fte_choice: u16, ctx: Ctx, tally: &mut Tally) {
    let from = c.state;
    let mut to = to;
    // Sessions cut for pension tax belong to the post: restored on leaving it.
    if to != from {
        pension::restore_sessions(rules, c);
    }
    // Leaving a pause: credit and record its length.
    if from == State::Pause && to != State::Pause {
        pause::on_return(rules, c, tally);
    }
    // Leaving the leaver pool: record time away; route through Returner.
    if from == State::Leaver && to != State::Leaver && to != State::Gone {
        tally.durations.push((Duration::TimeToReturn, c.months_in_state as u32));
        c.flags |= FLAG_FROM_LEAVER;
    }
    if matches!(from, State::Pause | State::Leaver)
        && matches!(to, State::Trainee | State::Ltft | State::Qualified | State::Returner)
    {
        let away = if from == State::Pause {
            c.paused_months as u16
        } else {
            c.months_in_state
        };
        to = returners::route(rules, c.grade, away, to);
    }
    if to_grade != c.grade {
        c.grade = to_grade;
        c.progress_tenths = 0;
        if rules.grades[to_grade as usize].starts_pathway {
            c.pathway_start = ctx.month as u16;
            c.flags |= FLAG_PATHWAY_KNOWN;
        }
    }
    if fte_choice != FTE_UNCHANGED {
        c.fte_tenths = ltft::choose_fte(rules, fte_choice, c.id(), ctx);
    } else if to == State::Trainee {
        c.fte_tenths = 10;
    } else if to == State::Qualified
        && (matches!(from, State::Student | State::Trainee | State::Ltft) || c.fte_tenths == 0)
    {
        c.fte_tenths = fte_around(rules.grades[c.grade as usize].fte_mean, ctx.seed, c.id(), ctx.month);
    }
    if to == State::Pause {
        c.paused_months = 0;
    }
    if from == State::Returner || to != State::Returner {
        c.flags &= !FLAG_FROM_LEAVER;
    }
    c.state = to;
    c.months_in_state = 0;
}

/// Whether a grade is a training grade.
#[inline(always)]
pub fn is_training(rules: &Rules, grade: u8) -> bool {
    rules.grades[grade as usize].kind == GradeKind::Training
}

/// Splits `total` over `shares` by largest remainder (ties to the lower
/// index): the parts are integers summing exactly to `total`.
pub fn apportion(total: u64, shares: &[f64]) -> Vec<u64> {
    let sum: f64 = shares.iter().sum();
    if shares.is_empty() || sum <= 0.0 {
        return vec![0; shares.len()];
    }
    let exact: Vec<f64> = shares.iter().map(|s| total as f64 * s / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_proportional() {
        assert_eq!(apportion(10, &[0.5, 0.5]), vec![5, 5]);
        assert_eq!(apportion(7, &[1.0, 1.0, 1.0]), vec![3, 2, 2]);
        assert_eq!(apportion(0, &[0.3, 0.7]), vec![0, 0]);
        let p = apportion(1001, &[0.1, 0.2, 0.3, 0.4]);
        assert_eq!(p.iter().sum::<u64>(), 1001);
        assert_eq!(p, vec![100, 200, 300, 401]);
    }

    #[test]
    fn fte_around_matches_mean() {
        let n = 100_000u64;
        let mean: f64 = (0..n).map(|i| fte_around(0.73, 5, i, 1) as f64).sum::<f64>() / n as f64;
        // Each draw is 7 or 8 tenths: sd 0.5 tenths/sqrt(n).
        let se = (0.3f64 * 0.7).sqrt() / (n as f64).sqrt();
        assert!((mean - 7.3).abs() < 4.0 * se, "{mean}");
        assert_eq!(fte_around(1.0, 5, 1, 1), 10);
    }
}
