//! Capacity-limited recruitment rounds (e.g. August and February): eligible
//! clinicians apply with a probability, applicants are ordered by a keyed
//! draw (never by iteration order), and each region's posts go to the first
//! applicants in that order. Unfilled posts and unplaced applicants are both
//! counted.

use bevy_ecs::prelude::*;

use crate::clinician::{Clinician, State};
use crate::ledger::{MonthLedger, Tally};
use crate::random::{Purpose, draw_u32_sub};
use crate::rules::{FTE_UNCHANGED, Rules, Scheme};

use super::{Ctx, apportion, enter};

/// Posts of a scheme in a round, by region.
pub fn posts_by_region(s: &Scheme, round: usize, year: i32) -> Vec<u64> {
    let year_posts = s.posts.at(year).round() as u64;
    let round_posts = apportion(year_posts, &s.round_shares)[round];
    apportion(round_posts, &s.region_shares)
}

/// Runs every scheme with a round in this calendar month.
pub fn run_rounds(world: &mut World, rules: &Rules, ctx: Ctx, calendar_month: u32, year: i32) {
    for (si, s) in rules.schemes.iter().enumerate() {
        let Some(round) = s.months.iter().position(|&m| m == calendar_month) else {
            continue;
        };
        let posts = posts_by_region(s, round, year);
        let mut query = world.query::<(Entity, &Clinician)>();
        let mut applicants: Vec<(u8, u32, u64, Entity)> = query
            .iter(world)
            .filter(|(_, c)| c.state != State::Gone && s.from_grade[c.grade as usize] && s.from_state[c.state as usize])
            .filter(|(_, c)| {
                (draw_u32_sub(ctx.seed, c.id(), ctx.month, Purpose::Apply, si as u32) as u64) < s.apply_threshold
            })
            .map(|(e, c)| {
                (
                    c.region,
                    draw_u32_sub(ctx.seed, c.id(), ctx.month, Purpose::MatchOrder, si as u32),
                    c.id(),
                    e,
                )
            })
            .collect();
        applicants.sort_unstable_by_key(|a| (a.0, a.1, a.2));
        let mut placed = Vec::new();
        let mut taken = vec![0u64; rules.regions.len()];
        for a in &applicants {
            let r = a.0 as usize;
            if taken[r] < posts[r] {
                taken[r] += 1;
                placed.push(a.3);
            }
        }
        let mut scratch = Tally::default();
        let mut changes = Vec::with_capacity(placed.len());
        let mut q = world.query::<&mut Clinician>();
        for e in placed {
            if let Ok(mut c) = q.get_mut(world, e) {
                let before = *c;
                enter(
                    rules,
                    &mut c,
                    State::Trainee,
                    s.into_grade,
                    FTE_UNCHANGED,
                    ctx,
                    &mut scratch,
                );
                changes.push((before, *c));
            }
        }
        let mut ledger = world.resource_mut::<MonthLedger>();
        for (b, a) in &changes {
            ledger.transfer(rules, Some(b), a);
        }
        let filled = changes.len() as u32;
        let k = &mut ledger.counters;
        k.posts_offered[si] += posts.iter().sum::<u64>() as u32;
        k.posts_filled[si] += filled;
        k.applicants[si] += applicants.len() as u32;
        k.unplaced[si] += applicants.len() as u32 - filled;
    }
}
