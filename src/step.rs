//! One clinician's month, in order: ageing, retirement, one competing-hazard
//! draw, then the time rules. This is the hot loop; it runs in parallel over
//! contiguous slices and writes only to the clinician and a per-thread tally.

use crate::clinician::{Clinician, State};
use crate::ledger::Tally;
use crate::mechanisms::{Ctx, enter, hazards, pause, pension, progression, retirement};
use crate::random::{Purpose, draw_keyed, draw_u32};
use crate::rules::{PROGRESS_AT_FTE, Rules};

/// A clinician's place in the world: its row in the one dense table of
/// clinicians (see `schedule::with_slots`).
pub type Slot = u32;

/// Whether clinicians in this state are stepped at all. An inert leaver pool
/// (no hazards out of `leaver`, retirement to `leaver`) is only counted.
#[inline(always)]
fn is_stepped(rules_leaver_inert: bool, s: State) -> bool {
    match s {
        State::Gone => false,
        State::Leaver => !rules_leaver_inert,
        _ => true,
    }
}

/// Steps one clinician through one month.
#[inline(always)]
pub fn step_clinician(rules: &Rules, leaver_inert: bool, c: &mut Clinician, slot: Slot, ctx: Ctx, tally: &mut Tally) {
    if !is_stepped(leaver_inert, c.state) {
        return;
    }
    tally.agent_months += 1;
    // 1. Ageing.
    age_one_month(c);
    // Most months nothing happens: recognised and applied from the
    // clinician's (grade, state) row alone.
    let row = rules.row(c.grade, c.state);
    if let Some(q) = row.quiet
        && c.age_months < row.retire_from
        && (q.hazard_total == 0 || draw_keyed(ctx.key, c.id(), Purpose::Hazard) as u64 >= q.hazard_total)
    {
        let accrue = if q.progress == PROGRESS_AT_FTE {
            c.fte_tenths
        } else {
            q.progress
        };
        let progress = c.progress_tenths.saturating_add(accrue as u16);
        if progress < q.completes_at {
            c.progress_tenths = progress;
            return;
        }
    }
    step_general(rules, leaver_inert, c, slot, ctx, tally);
}

/// Ageing: a month older, a month longer in the state (and on pause).
#[inline(always)]
fn age_one_month(c: &mut Clinician) {
    c.age_months = c.age_months.saturating_add(1);
    c.months_in_state = c.months_in_state.saturating_add(1);
    if c.state == State::Pause {
        c.paused_months = c.paused_months.saturating_add(1);
    }
}

/// The general rules of a month (after ageing): retirement, the competing
/// hazards, the time rules, and the record of any change.
#[inline(never)]
fn step_general(rules: &Rules, leaver_inert: bool, c: &mut Clinician, slot: Slot, ctx: Ctx, tally: &mut Tally) {
    let before = *c;
    // 2. Retirement (or retire-and-return, then still in post).
    if let Some((to, forced)) = retirement::retires(rules, c, ctx) {
        let back = rules
            .pensions
            .as_ref()
            .is_some_and(|p| pension::returns(p, rules, c, ctx, forced));
        if crate::mechanisms::leaving::is_employed(c.state) {
            let cell = rules.stock_cell(c.grade, c.state, c.region) as u32;
            tally.retirements.push((cell, back));
        }
        if back {
            if let Some(p) = &rules.pensions {
                pension::come_back(p, rules, c);
            }
        } else if to != c.state {
            enter(rules, c, to, c.grade, crate::rules::FTE_UNCHANGED, ctx, tally);
        }
    } else if let Some(o) = hazards::draw(rules, c, ctx) {
        // 3. One competing hazard.
        if o.to_state == State::Pause {
            if pause::eligible(rules, c) {
                if rules.pause.capacity_per_year.is_some() {
                    let key = draw_u32(ctx.seed, c.id(), ctx.month, Purpose::MatchOrder);
                    tally.pause_requests.push((key, c.id(), slot));
                    progression::advance(rules, c, ctx, tally);
                } else {
                    enter(rules, c, State::Pause, o.to_grade, o.fte_choice, ctx, tally);
                }
            } else {
                progression::advance(rules, c, ctx, tally);
            }
        } else {
            enter(rules, c, o.to_state, o.to_grade, o.fte_choice, ctx, tally);
        }
    } else {
        // 4. Time rules.
        progression::advance(rules, c, ctx, tally);
    }
    // 5. Sessions under a pension-tax period.
    if let Some(p) = &rules.pensions
        && p.tax_grade[c.grade as usize]
    {
        pension::tax_sessions(p, c, ctx);
    }
    if before.state != c.state || before.grade != c.grade || before.fte_tenths != c.fte_tenths {
        tally.record(rules, &before, c);
        // Free the slot of a clinician who can never change again: gone, or
        // in an inert leaver pool (then still counted in its leaver cell).
        if c.state == State::Gone || (leaver_inert && c.state == State::Leaver) {
            if c.state == State::Leaver {
                tally.removed_leavers.push(rules.stock_cell(c.grade, c.state, c.region));
                c.state = State::Gone;
            }
            tally.freed.push(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::load::{baseline_source, career_lite_source};
    use crate::schedule::Simulation;

    /// The quiet-month shortcut is exactly the general rules: every
    /// clinician of the England baseline (all states, grades, LTFT, pause,
    /// returners, a live leaver pool) and of career-lite, stepped for a year
    /// both ways, ends identical with identical tallies.
    #[test]
    fn the_quiet_month_shortcut_equals_the_general_rules() {
        for (source, agents) in [(baseline_source(), None), (career_lite_source(), Some(50_000))] {
            let scale = if agents.is_none() {
                vec!["model.population_scale=20".into()]
            } else {
                vec![]
            };
            let rules = Arc::new(crate::load_rules(&source, &scale).unwrap());
            let mut sim = Simulation::new(rules.clone(), 5, agents);
            for _ in 0..30 {
                sim.step_month();
            }
            let start = sim.clinicians();
            let inert = sim.clock().leaver_inert;
            let (mut fast, mut slow) = (start.clone(), start.clone());
            let cells = rules.n_stock_cells();
            let mut quiet = 0u64;
            for month in 31..43 {
                let ctx = Ctx::new(5, month);
                let (mut tf, mut ts) = (Tally::new(cells), Tally::new(cells));
                for (f, s) in fast.iter_mut().zip(slow.iter_mut()) {
                    let before = *f;
                    step_clinician(&rules, inert, f, 0, ctx, &mut tf);
                    if is_stepped(inert, s.state) {
                        ts.agent_months += 1;
                        age_one_month(s);
                        step_general(&rules, inert, s, 0, ctx, &mut ts);
                    }
                    assert_eq!(f, s, "{} month {month} from {before:?}", source.file);
                    quiet += (f.state == before.state && f.grade == before.grade) as u64;
                }
                assert_eq!(
                    (&tf.stock, &tf.fte, &tf.flows, tf.agent_months, tf.ccts),
                    (&ts.stock, &ts.fte, &ts.flows, ts.agent_months, ts.ccts)
                );
                assert_eq!(tf.durations, ts.durations);
            }
            assert!(quiet > 0);
        }
    }
}
