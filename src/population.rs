//! The initial population (month 0), synthesised deterministically:
//! from `[[stock]]` blocks with keyed random attributes, or from the
//! fully deterministic lattice layout used by benchmarks.

use rand::Rng;

use crate::clinician::{Clinician, State};
use crate::mechanisms::apportion;
use crate::mechanisms::inflow::{Profile, new_clinician};
use crate::random::{Purpose, stream};
use crate::rules::{GradeKind, Initial, Lattice, Rules};

/// Synthesises the initial population. `agents` overrides the lattice size.
pub fn synthesise(rules: &Rules, seed: u64, agents: Option<u64>) -> Vec<Clinician> {
    match &rules.initial {
        Initial::Stocks(stocks) => {
            let mut out = Vec::with_capacity(stocks.iter().map(|s| s.headcount as usize).sum());
            let mut id = 0u32;
            for s in stocks {
                let g = &rules.grades[s.grade as usize];
                for (r, n) in apportion(s.headcount, &rules.region_shares).into_iter().enumerate() {
                    for _ in 0..n {
                        let profile = Profile {
                            grade: s.grade,
                            state: s.state,
                            region: r as u8,
                            age: s.age_months,
                            female_threshold: s.female_threshold,
                        };
                        let mut c = new_clinician(seed, id, 0, profile);
                        let mut rng = stream(seed, id, 0, Purpose::Synthesis2);
                        if g.kind != GradeKind::Employed {
                            c.progress_tenths = (rng.next_u32() % g.duration_tenths.max(1) as u32) as u16;
                        }
                        if s.state == State::Pause {
                            c.paused_months = (rng.next_u32() % rules.pause.max_months as u32) as u8;
                            c.months_in_state = c.paused_months as u16;
                        }
                        c.fte_tenths = match s.state {
                            State::Student => 0,
                            State::Trainee => 10,
                            State::Ltft => crate::mechanisms::fte_around(s.fte_mean, seed, id, 0).clamp(1, 9),
                            _ => crate::mechanisms::fte_around(s.fte_mean, seed, id, 0),
                        };
                        out.push(c);
                        id += 1;
                    }
                }
            }
            out
        }
        Initial::Lattice(l) => lattice(rules, l, agents.unwrap_or(l.agents)),
    }
}

fn pick<T: Copy>(weights: &[(u32, T)], digit: u64) -> T {
    let mut acc = 0u64;
    for &(w, v) in weights {
        acc += w as u64;
        if digit < acc {
            return v;
        }
    }
    weights[weights.len() - 1].1
}

/// The lattice layout: clinician i has group digit i mod G, state digit
/// (i div G) mod S (each picked by cumulative weights), age
/// base + (i x stride) mod span, progress i mod duration (whole months),
/// pause months i mod cap, region (i div (G x S)) mod regions.
pub fn lattice(rules: &Rules, l: &Lattice, n: u64) -> Vec<Clinician> {
    let gsum: u64 = l.groups.iter().map(|x| x.0 as u64).sum();
    let ssum: u64 = l.states.iter().map(|x| x.0 as u64).sum();
    let regions = rules.regions.len() as u64;
    (0..n)
        .map(|i| {
            let group = pick(&l.groups, i % gsum);
            let state = pick(&l.states, (i / gsum) % ssum);
            let grade = l.grade_of[group as usize][state as usize];
            let g = &rules.grades[grade as usize];
            let months = (g.duration_tenths / 10).max(1) as u64;
            let mut c = Clinician {
                id: i as u32,
                age_months: (l.age.0 as u64 + (i.wrapping_mul(l.age.1)) % l.age.2 as u64) as u16,
                months_in_state: 0,
                progress_tenths: 0,
                pathway_start: 0,
                grade,
                state,
                region: ((i / (gsum * ssum)) % regions) as u8,
                fte_tenths: 10,
                flags: 0,
                paused_months: 0,
            };
            match state {
                State::Student => {
                    c.progress_tenths = ((i % months) * 10) as u16;
                    c.fte_tenths = 0;
                }
                State::Trainee => c.progress_tenths = ((i % months) * 10) as u16,
                State::Ltft => {
                    c.progress_tenths = ((i % months) * 10) as u16;
                    c.fte_tenths = l.ltft_fte_tenths;
                }
                State::Pause => {
                    c.progress_tenths = ((i % months) * 10) as u16;
                    c.paused_months = (i % rules.pause.max_months as u64) as u8;
                    c.months_in_state = c.paused_months as u16;
                }
                _ => c.fte_tenths = (g.fte_mean * 10.0).round() as u8,
            }
            c
        })
        .collect()
}
