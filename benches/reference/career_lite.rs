//! career-lite v1 as plain Rust: a Vec of 12-byte structs stepped with rayon,
//! with the same keyed random streams as the engine. It implements the spec
//! literally (students complete on months in state, Left agents are skipped)
//! and is the ceiling the engine is measured against. Shared by the
//! agreement test and the baseline bench via `#[path]`.
#![allow(dead_code, reason = "each including crate uses a subset")]

use std::collections::BTreeMap;
use std::time::Instant;

use careersim::random::{Purpose, draw_keyed, month_key, threshold};
use rayon::prelude::*;

/// States, in the spec's order.
pub const STATES: [&str; 6] = ["Student", "Trainee", "Ltft", "Pause", "Qualified", "Left"];
const STUDENT: u8 = 0;
const TRAINEE: u8 = 1;
const LTFT: u8 = 2;
const PAUSE: u8 = 3;
const QUALIFIED: u8 = 4;
const LEFT: u8 = 5;
/// Groups.
pub const GROUPS: [&str; 2] = ["doctor", "nurse"];

/// One agent: 12 bytes.
#[derive(Clone, Copy, Debug)]
pub struct Agent {
    id: u32,
    age: u16,
    mis: u16,
    progress_tenths: u16,
    group: u8,
    state: u8,
}

const COURSE: [u16; 2] = [60, 36];
const TRAINING: [u16; 2] = [96, 12];

/// (cumulative threshold, target state) per (group, state), in table order.
fn hazards() -> [[Vec<(u64, u8)>; 5]; 2] {
    let table = |rows: &[(f64, u8)]| {
        let mut cum = 0.0;
        rows.iter()
            .map(|&(p, to)| {
                cum += p;
                (threshold(cum), to)
            })
            .collect::<Vec<_>>()
    };
    [
        [
            table(&[(0.001, LEFT)]),
            table(&[(0.004, LTFT), (0.002, PAUSE), (0.002, LEFT)]),
            table(&[(0.03, TRAINEE), (0.003, LEFT)]),
            table(&[(0.01, LEFT)]),
            table(&[(0.004, LEFT)]),
        ],
        [
            table(&[(0.008, LEFT)]),
            table(&[(0.002, LTFT), (0.001, PAUSE), (0.006, LEFT)]),
            table(&[(0.03, TRAINEE), (0.006, LEFT)]),
            table(&[(0.01, LEFT)]),
            table(&[(0.008, LEFT)]),
        ],
    ]
}

/// The initial population of the spec.
pub fn initial(n: u64) -> Vec<Agent> {
    (0..n)
        .map(|i| {
            let group = if i % 10 < 3 { 0u8 } else { 1 };
            let b = (i / 10) % 100;
            let state = match b {
                0..10 => STUDENT,
                10..30 => TRAINEE,
                30..33 => LTFT,
                33..34 => PAUSE,
                _ => QUALIFIED,
            };
            let g = group as usize;
            let (mis, progress) = match state {
                STUDENT => (i % COURSE[g] as u64, 0),
                TRAINEE | LTFT => (0, i % TRAINING[g] as u64),
                PAUSE => (i % 12, i % TRAINING[g] as u64),
                _ => (0, 0),
            };
            Agent {
                id: i as u32,
                age: (264 + (i * 7919) % 480) as u16,
                mis: mis as u16,
                progress_tenths: (progress * 10) as u16,
                group,
                state,
            }
        })
        .collect()
}

#[inline(always)]
fn step(a: &mut Agent, month_key: u64, table: &[[Vec<(u64, u8)>; 5]; 2]) -> bool {
    if a.state == LEFT {
        return false;
    }
    a.age += 1;
    a.mis += 1;
    if a.state != STUDENT && a.age >= 780 {
        a.state = LEFT;
        a.mis = 0;
        return true;
    }
    let u = draw_keyed(month_key, a.id as u64, Purpose::Hazard) as u64;
    if let Some(&(_, to)) = table[a.group as usize][a.state as usize]
        .iter()
        .find(|(thr, _)| u < *thr)
    {
        a.state = to;
        a.mis = 0;
        return true;
    }
    let g = a.group as usize;
    match a.state {
        STUDENT if a.mis >= COURSE[g] => {
            a.state = TRAINEE;
            a.progress_tenths = 0;
            a.mis = 0;
        }
        TRAINEE | LTFT => {
            a.progress_tenths += if a.state == TRAINEE { 10 } else { 6 };
            if a.progress_tenths >= TRAINING[g] * 10 {
                a.state = QUALIFIED;
                a.mis = 0;
            }
        }
        PAUSE if a.mis >= 12 => {
            a.state = TRAINEE;
            a.mis = 0;
        }
        _ => {}
    }
    true
}

/// Steps every agent one month (no inflow); returns the agent-months.
pub fn step_all(mut agents: Vec<Agent>, seed: u64, month: u32) -> (Vec<Agent>, u64) {
    let n = step_month(&mut agents, seed, month, &hazards());
    (agents, n)
}

/// Steps every agent one month in parallel; returns the agent-months.
fn step_month(agents: &mut [Agent], seed: u64, month: u32, table: &[[Vec<(u64, u8)>; 5]; 2]) -> u64 {
    let key = month_key(seed, month);
    agents
        .par_chunks_mut(1 << 14)
        .map(|chunk| chunk.iter_mut().map(|a| step(a, key, table) as u64).sum::<u64>())
        .sum::<u64>()
}

/// Counts of agents not Left by `group/State`.
pub fn counts(agents: &[Agent]) -> BTreeMap<String, u64> {
    let mut c = [[0u64; 6]; 2];
    for a in agents {
        c[a.group as usize][a.state as usize] += 1;
    }
    let mut out = BTreeMap::new();
    for (g, gname) in GROUPS.iter().enumerate() {
        for (s, sname) in STATES.iter().enumerate().take(5) {
            out.insert(format!("{gname}/{sname}"), c[g][s]);
        }
    }
    out
}

/// Result of a run.
pub struct Run {
    /// Agent-months stepped.
    pub agent_months: u64,
    /// Seconds in setup.
    pub setup_seconds: f64,
    /// Seconds stepping.
    pub step_seconds: f64,
    /// Counts after each requested month.
    pub counts: BTreeMap<u32, BTreeMap<String, u64>>,
    /// Final population size (including Left).
    pub agents: usize,
}

/// Runs career-lite for `months`, recording counts after the months in `at`.
/// Left agents are dropped once a year, after that month's counts.
pub fn run(n: u64, months: u32, seed: u64, at: &[u32]) -> Run {
    let t0 = Instant::now();
    let mut agents = initial(n);
    let table = hazards();
    let setup_seconds = t0.elapsed().as_secs_f64();
    let mut next_id = n as u32;
    let mut agent_months = 0u64;
    let mut out = BTreeMap::new();
    let mut step_seconds = 0.0;
    for month in 1..=months {
        let t = Instant::now();
        agent_months += step_month(&mut agents, seed, month, &table);
        let arrivals = [
            ((n as f64 * 0.001).ceil() as u64, 0u8, STUDENT, 228u16),
            ((n as f64 * 0.002).ceil() as u64, 1, STUDENT, 228),
            ((n as f64 * 0.0015).ceil() as u64, 1, QUALIFIED, 336),
        ];
        for (k, group, state, age) in arrivals {
            for _ in 0..k {
                agents.push(Agent {
                    id: next_id,
                    age,
                    mis: 0,
                    progress_tenths: 0,
                    group,
                    state,
                });
                next_id += 1;
            }
        }
        step_seconds += t.elapsed().as_secs_f64();
        if at.contains(&month) {
            out.insert(month, counts(&agents));
        }
        if month % 12 == 0 {
            let t = Instant::now();
            agents.retain(|a| a.state != LEFT);
            step_seconds += t.elapsed().as_secs_f64();
        }
    }
    Run {
        agent_months,
        setup_seconds,
        step_seconds,
        counts: out,
        agents: agents.len(),
    }
}
