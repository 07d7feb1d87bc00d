//! Exact accounting: stocks, flows and counters of one month.
//!
//! **Architecture invariant:** every change of a clinician's (grade, state,
//! region) goes through a `Tally` or the `MonthLedger`, so for every cell
//! stock(m) = stock(m-1) + flows in - flows out. Joiners come from `none`
//! (`NONE`), permanent exits go to `gone` (`GONE`).

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clinician::{Clinician, State};
use crate::config::{FteRule, RawStateFte};
use crate::error::ConfigError;
use crate::rules::{Compiler, Rules};

/// Flow endpoint meaning "not in the model" (a joiner's origin, a permanent exit).
pub const OUTSIDE: u32 = 0;

/// Encodes a flow from cell `from` to cell `to` (`None` = outside).
#[inline(always)]
pub fn flow_key(from: Option<usize>, to: Option<usize>) -> u64 {
    let enc = |c: Option<usize>| c.map_or(OUTSIDE as u64, |c| c as u64 + 1);
    (enc(from) << 32) | enc(to)
}

/// Decodes a flow key into (from, to) cells.
pub fn flow_cells(key: u64) -> (Option<usize>, Option<usize>) {
    let dec = |v: u64| (v != 0).then(|| v as usize - 1);
    (dec(key >> 32), dec(key & 0xffff_ffff))
}

/// The stock cell of a clinician, or `None` when gone.
#[inline(always)]
pub fn cell_of(rules: &Rules, c: &Clinician) -> Option<usize> {
    (c.state != State::Gone).then(|| rules.stock_cell(c.grade, c.state, c.region))
}

/// FTE (tenths) a clinician contributes in its state.
#[inline(always)]
pub fn fte_of(rules: &Rules, c: &Clinician) -> u8 {
    match c.state {
        State::Gone => 0,
        s => rules.state_fte[s as usize].unwrap_or(c.fte_tenths),
    }
}

/// Validates and compiles `[state_fte]`: the FTE each non-working state
/// counts for in [`fte_of`] (`None`: the clinician's own).
pub(crate) fn compile_state_fte(c: &Compiler<'_>, sf: &RawStateFte) -> Result<[Option<u8>; State::COUNT], ConfigError> {
    let rule = |key: &str, r: &FteRule| -> Result<Option<u8>, ConfigError> {
        match r {
            FteRule::Fixed(v) => Ok(Some(c.fte(key, *v)?)),
            FteRule::Own(s) if s == "own" => Ok(None),
            FteRule::Own(s) => Err(c.err(key, format!("\"{s}\""), "an FTE number or \"own\"")),
        }
    };
    let mut state_fte = [None; State::COUNT];
    state_fte[State::Student as usize] = rule("state_fte.student", &sf.student)?;
    state_fte[State::Pause as usize] = rule("state_fte.pause", &sf.pause)?;
    state_fte[State::Returner as usize] = rule("state_fte.returner", &sf.returner)?;
    state_fte[State::OverseasRecruit as usize] = rule("state_fte.overseas_recruit", &sf.overseas_recruit)?;
    state_fte[State::Leaver as usize] = Some(0);
    Ok(state_fte)
}

/// Kinds of durations recorded in histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Duration {
    /// Months from pathway start to a CCT, by the grade completed.
    TimeToCct(u8),
    /// Months spent in a pause, at return.
    PauseLength,
    /// Months in the leaver pool before returning.
    TimeToReturn,
}

/// Per-thread accumulators of the parallel step. Only clinicians whose
/// cell or FTE changed touch it: stocks are carried from month to month and
/// moved by these deltas.
#[derive(Default)]
pub struct Tally {
    /// Headcount change per stock cell.
    pub stock: Vec<i64>,
    /// FTE change (tenths) per stock cell.
    pub fte: Vec<i64>,
    /// Encoded flows (one entry per transition).
    pub flows: Vec<u64>,
    /// Durations completed this month.
    pub durations: Vec<(Duration, u32)>,
    /// Agents stepped.
    pub agent_months: u64,
    /// CCTs awarded.
    pub ccts: u32,
    /// Pause applications awaiting approval: (order key, id, entity).
    pub pause_requests: Vec<(u32, u64, crate::step::Slot)>,
    /// Slots of clinicians who left the model, free for joiners.
    pub freed: Vec<crate::step::Slot>,
    /// Stock cells of inert leavers retired from the world this month.
    pub removed_leavers: Vec<usize>,
    /// Course and training-grade leavers: (grade, progress tenths in it).
    pub course_exits: Vec<(u8, u16)>,
    /// Retirements in service: (stock cell, returned at once).
    pub retirements: Vec<(u32, bool)>,
}

impl Tally {
    /// An empty tally for `n` cells.
    pub fn new(n: usize) -> Tally {
        Tally {
            stock: vec![0; n],
            fte: vec![0; n],
            ..Default::default()
        }
    }

    /// Records the change of one clinician from `before` to `after`.
    #[inline]
    pub fn record(&mut self, rules: &Rules, before: &Clinician, after: &Clinician) {
        let (from, to) = (cell_of(rules, before), cell_of(rules, after));
        let (f0, f1) = (fte_of(rules, before) as i64, fte_of(rules, after) as i64);
        if from == to && f0 == f1 {
            return;
        }
        if let Some(f) = from {
            self.stock[f] -= 1;
            self.fte[f] -= f0;
        }
        if let Some(t) = to {
            self.stock[t] += 1;
            self.fte[t] += f1;
        }
        if from != to {
            self.flows.push(flow_key(from, to));
            if is_course_exit(rules, before, after) {
                self.course_exits.push((before.grade, before.progress_tenths));
            }
        }
    }
}

/// Whether a change leaves a course or training grade unfinished: out of
/// the model or into the leaver pool, from the grade itself (a completer
/// who does not take up the next grade has moved on to it).
#[inline]
pub fn is_course_exit(rules: &Rules, before: &Clinician, after: &Clinician) -> bool {
    matches!(after.state, State::Gone | State::Leaver)
        && !matches!(before.state, State::Leaver | State::Gone | State::OverseasRecruit)
        && (after.grade == before.grade || after.state == State::Gone)
        && rules.grades[before.grade as usize].kind != crate::rules::GradeKind::Employed
}

/// Counters that are not stocks or flows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Agents stepped.
    pub agent_months: u64,
    /// CCTs awarded.
    pub ccts: u32,
    /// Per scheme: posts offered, filled, applicants, unplaced applicants.
    pub posts_offered: Vec<u32>,
    /// Posts filled.
    pub posts_filled: Vec<u32>,
    /// Applicants.
    pub applicants: Vec<u32>,
    /// Applicants not placed.
    pub unplaced: Vec<u32>,
    /// Per inflow: planned places, applicants, starts.
    pub places: Vec<u32>,
    /// Inflow applicants.
    pub inflow_applicants: Vec<u32>,
    /// Starts.
    pub starts: Vec<u32>,
    /// Pause applications approved and refused (capacity).
    pub pause_approved: u32,
    /// Refused.
    pub pause_refused: u32,
    /// Per CCT-awarding grade: CCTs awarded to clinicians whose pathway
    /// start is known, and their summed months from pathway start to CCT.
    pub cct_months: BTreeMap<u8, (u32, u64)>,
    /// Funded establishment FTE (of the simulated population) per (group,
    /// region), `group * regions + region`; 0 where a group has none
    /// (`mechanisms::establishment`).
    pub establishment_fte: Vec<f64>,
    /// Per course or training grade: leavers before completing it and their
    /// summed progress in it (tenths of a WTE-month).
    pub course_exits: BTreeMap<u8, (u32, u64)>,
    /// Per stock cell (before retiring): retirements in service, and those
    /// who returned at once (retire-and-return; `mechanisms::pension`).
    pub retirements: BTreeMap<u32, (u32, u32)>,
    /// The month's spend, `category * grades + grade`, in whole pence of the
    /// simulated population (`mechanisms::cost`; empty without `[cost]`).
    pub cost: Vec<i64>,
}

/// One month's closed accounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthRecord {
    /// Month index (0 = initial population).
    pub month: u32,
    /// Headcount per stock cell at the end of the month.
    pub stock: Vec<u32>,
    /// FTE tenths per stock cell.
    pub fte: Vec<u64>,
    /// Flows (key, count), sorted by key.
    pub flows: Vec<(u64, u32)>,
    /// Counters.
    pub counters: Counters,
}

/// The month being accounted.
#[derive(Resource, Default)]
pub struct MonthLedger {
    /// Stock per cell.
    pub stock: Vec<u32>,
    /// FTE tenths per cell.
    pub fte: Vec<u64>,
    /// Flows.
    pub flows: BTreeMap<u64, u32>,
    /// Counters.
    pub counters: Counters,
}

impl MonthLedger {
    /// Records a serial-phase change of one clinician from `before` to `after`.
    pub fn transfer(&mut self, rules: &Rules, before: Option<&Clinician>, after: &Clinician) {
        let from = before.and_then(|b| cell_of(rules, b));
        let to = cell_of(rules, after);
        if let (Some(b), Some(f)) = (before, from) {
            self.stock[f] -= 1;
            self.fte[f] -= fte_of(rules, b) as u64;
        }
        if let Some(t) = to {
            self.stock[t] += 1;
            self.fte[t] += fte_of(rules, after) as u64;
        }
        if from != to || before.is_none() {
            *self.flows.entry(flow_key(from, to)).or_insert(0) += 1;
        }
    }

    /// Closes the month into a record.
    pub fn close(&mut self, month: u32) -> MonthRecord {
        MonthRecord {
            month,
            stock: self.stock.clone(),
            fte: self.fte.clone(),
            flows: std::mem::take(&mut self.flows).into_iter().collect(),
            counters: std::mem::take(&mut self.counters),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    #[test]
    fn state_fte_section_is_a_number_or_own() {
        let raw = tiny_raw("[state_fte]\npause = \"own\"\nstudent = 0.5\n");
        let fte = compile_state_fte(&compiler(&raw, 1.0), &raw.state_fte).unwrap();
        assert_eq!(fte[State::Pause as usize], None);
        assert_eq!(fte[State::Student as usize], Some(5));
        assert_eq!(fte[State::Leaver as usize], Some(0));
        assert_eq!(fte[State::Qualified as usize], None);
        let raw = tiny_raw("[state_fte]\npause = \"half\"\n");
        assert_eq!(
            invalid(compile_state_fte(&compiler(&raw, 1.0), &raw.state_fte)).0,
            "state_fte.pause"
        );
    }
}
