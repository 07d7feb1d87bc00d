//! criterion: one month step of career-lite at 1e6 agents, engine vs the
//! plain-Rust baseline (`cargo bench --bench step`). Threads: the pools use
//! CAREERSIM_BENCH_THREADS (default 1).

#[path = "reference/career_lite.rs"]
mod career_lite;

use std::hint::black_box;
use std::sync::Arc;

use careersim::load::career_lite_source;
use careersim::{Simulation, load_rules};
use criterion::{Criterion, criterion_group, criterion_main};

const AGENTS: u64 = 1_000_000;

fn threads() -> usize {
    std::env::var("CAREERSIM_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn engine(c: &mut Criterion) {
    careersim::schedule::init_threads(threads());
    let rules = Arc::new(load_rules(&career_lite_source(), &["model.months=2400".into()]).unwrap());
    let mut sim = Simulation::new(rules, 1, Some(AGENTS));
    c.bench_function("engine: career-lite month, 1e6 agents", |b| {
        b.iter(|| black_box(&mut sim).step_month())
    });
}

fn baseline(c: &mut Criterion) {
    careersim::schedule::init_threads(threads());
    let mut month = 0;
    c.bench_function("baseline: career-lite month, 1e6 agents", |b| {
        b.iter_batched(
            || career_lite::initial(AGENTS),
            |agents| {
                month += 1;
                black_box(career_lite::step_all(agents, 1, month))
            },
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = engine, baseline
}
criterion_main!(benches);
