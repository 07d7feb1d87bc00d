//! The engine running configs/bench/career_lite.toml and the plain-Rust
//! reference in benches/reference use the same keyed streams, so they must
//! agree exactly, month by month.

#[path = "../benches/reference/career_lite.rs"]
mod career_lite;

use std::sync::Arc;

use careersim::kpis::counts_by_group_state;
use careersim::load::career_lite_source;
use careersim::{Simulation, load_rules};

#[test]
fn engine_and_reference_agree_exactly() {
    let rules = Arc::new(load_rules(&career_lite_source(), &[]).unwrap());
    let months: Vec<u32> = (1..=120).collect();
    for (n, seed) in [(20_000u64, 1u64), (7_919, 2)] {
        let reference = career_lite::run(n, 120, seed, &months);
        let mut sim = Simulation::new(rules.clone(), seed, Some(n));
        for _ in 0..120 {
            sim.step_month();
        }
        let h = sim.history();
        let mut stepped = 0;
        for m in 1..=120u32 {
            let engine = counts_by_group_state(&rules, &h.records[m as usize]);
            for (key, &v) in &reference.counts[&m] {
                assert_eq!(engine[key], v, "n {n} seed {seed} month {m} {key}");
            }
            stepped += h.records[m as usize].counters.agent_months;
        }
        assert_eq!(stepped, reference.agent_months, "agent-months");
        // The run is not trivial: every state is populated at month 120.
        assert!(
            reference.counts[&120].values().all(|&v| v > 0),
            "{:?}",
            reference.counts[&120]
        );
    }
}

#[test]
fn reference_initial_population_follows_the_spec() {
    let a = career_lite::counts(&career_lite::initial(10_000));
    // 30% doctors; states by b = (i div 10) mod 100: 10/20/3/1/66 %.
    assert_eq!(a["doctor/Student"], 300);
    assert_eq!(a["doctor/Trainee"], 600);
    assert_eq!(a["doctor/Ltft"], 90);
    assert_eq!(a["doctor/Pause"], 30);
    assert_eq!(a["doctor/Qualified"], 1980);
    assert_eq!(a["nurse/Qualified"], 4620);
}
