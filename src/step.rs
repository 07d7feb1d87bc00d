//! One clinician's month, in order: ageing, retirement, one competing-hazard
//! draw, then the time rules. This is the hot loop; it runs in parallel over
//! contiguous slices and writes only to the clinician and a per-thread tally.

use bevy_ecs::prelude::Entity;

use crate::clinician::{Clinician, State};
use crate::ledger::Tally;
use crate::mechanisms::{Ctx, enter, hazards, pause, progression, retirement};
use crate::random::{Purpose, draw_u32};
use crate::rules::Rules;

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
pub fn step_clinician(
    rules: &Rules,
    leaver_inert: bool,
    c: &mut Clinician,
    entity: Entity,
    ctx: Ctx,
    tally: &mut Tally,
) {
    if !is_stepped(leaver_inert, c.state) {
        return;
    }
    tally.agent_months += 1;
    let before = *c;
    // 1. Ageing.
    c.age_months = c.age_months.saturating_add(1);
    c.months_in_state = c.months_in_state.saturating_add(1);
    if c.state == State::Pause {
        c.paused_months = c.paused_months.saturating_add(1);
    }
    // 2. Retirement.
    if let Some(to) = retirement::retires(rules, c, ctx) {
        if to != c.state {
            enter(rules, c, to, c.grade, crate::rules::FTE_UNCHANGED, ctx, tally);
        }
    } else if let Some(o) = hazards::draw(rules, c, ctx) {
        // 3. One competing hazard.
        if o.to_state == State::Pause {
            if pause::eligible(rules, c) {
                if rules.pause.capacity_per_year.is_some() {
                    let key = draw_u32(ctx.seed, c.id, ctx.month, Purpose::MatchOrder);
                    tally.pause_requests.push((key, c.id, entity));
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
    if before.state != c.state || before.grade != c.grade || before.fte_tenths != c.fte_tenths {
        tally.record(rules, &before, c);
        // Free the slot of a clinician who can never change again: gone, or
        // in an inert leaver pool (then still counted in its leaver cell).
        if c.state == State::Gone || (leaver_inert && c.state == State::Leaver) {
            if c.state == State::Leaver {
                tally.removed_leavers.push(rules.stock_cell(c.grade, c.state, c.region));
                c.state = State::Gone;
            }
            tally.freed.push(entity);
        }
    }
}
