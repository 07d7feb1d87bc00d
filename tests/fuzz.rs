//! A bounded mutation fuzzer: a few thousand mutants of the small fixture
//! (numbers replaced by 0, -1, 1e300, NaN, huge integers; lines deleted or
//! duplicated; tables duplicated; strings swapped; text truncated), from a
//! fixed seed. Each is loaded; a valid one is run, capped in months and
//! population. Nothing may panic, and no mutant may take long: a bound
//! removed from validation (say, on stock headcounts) makes a mutant spin
//! or panic, and this test fails naming it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::Rng;
use rand_pcg::Pcg32;

use careersim::config::ConfigSource;
use careersim::limits::peak_population;
use careersim::{Simulation, load_rules};

/// Mutants tried.
const MUTANTS: usize = 3000;
/// Months a valid mutant is run for at most.
const RUN_MONTHS: u32 = 12;
/// Clinicians a valid mutant's run holds at most (its population scale is
/// raised to fit).
const RUN_POPULATION: u64 = 1500;
/// Longest any one mutant may take (load and run) before it counts as a hang.
const PER_MUTANT: Duration = Duration::from_secs(20);

const REPLACEMENTS: &[&str] = &[
    "0",
    "-1",
    "1e300",
    "-1e300",
    "1e19",
    "4294967296",
    "18446744073709551616",
    "2147483648",
    "65536",
    "nan",
    "inf",
    "-inf",
    "0.5",
    "1.5",
    "1e-300",
    "\"x\"",
    "[]",
    "{}",
    "true",
];

/// Byte ranges of the numbers in a line (digits, with sign, point, exponent).
fn numbers(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'-' || b[j] == b'_') {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// A uniform draw in 0..n (n >= 1).
fn below(rng: &mut Pcg32, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

fn mutate(text: &str, rng: &mut Pcg32) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let strings: Vec<String> = text.split('"').skip(1).step_by(2).map(|s| format!("\"{s}\"")).collect();
    for _ in 0..1 + below(rng, 3) {
        if lines.is_empty() {
            break;
        }
        let i = below(rng, lines.len());
        match below(rng, 10) {
            // Replace a number (the most common mutation).
            0..=4 => {
                let spans = numbers(&lines[i]);
                if let Some(&(a, b)) = spans.get(below(rng, spans.len().max(1))) {
                    let r = REPLACEMENTS[below(rng, REPLACEMENTS.len())];
                    lines[i].replace_range(a..b, r);
                }
            }
            5 => {
                lines.remove(i);
            }
            6 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            // Duplicate a table (header to the next header).
            7 => {
                if let Some(h) = (0..=i).rev().find(|&k| lines[k].starts_with('[')) {
                    let end = (h + 1..lines.len())
                        .find(|&k| lines[k].starts_with('['))
                        .unwrap_or(lines.len());
                    let block: Vec<String> = lines[h..end].to_vec();
                    let at = below(rng, lines.len() + 1);
                    for (k, l) in block.into_iter().enumerate() {
                        lines.insert(at + k, l);
                    }
                }
            }
            // Swap a quoted string for another from the file.
            8 => {
                if let (Some(a), false) = (lines[i].find('"'), strings.is_empty())
                    && let Some(b) = lines[i][a + 1..].find('"')
                {
                    let s = &strings[below(rng, strings.len())];
                    lines[i].replace_range(a..a + b + 2, s);
                }
            }
            // Truncate the file.
            _ => lines.truncate(i),
        }
    }
    lines.join("\n") + "\n"
}

/// Loads a mutant and, if valid, runs it capped. Returns what it did.
fn exercise(text: String) -> &'static str {
    let src = ConfigSource {
        file: "mutant.toml".into(),
        text,
    };
    let Ok(rules) = load_rules(&src, &[]) else {
        return "refused";
    };
    let months = rules.months.min(RUN_MONTHS);
    let peak = peak_population(&rules, None);
    let scale = (rules.population_scale * (peak as f64 / RUN_POPULATION as f64).max(1.0)).min(1e9);
    let overrides = [
        format!("model.months={months}"),
        format!("model.population_scale={}", toml::Value::Float(scale)),
    ];
    let Ok(rules) = load_rules(&src, &overrides) else {
        return "refused when capped";
    };
    let mut sim = Simulation::new(Arc::new(rules), 1, None);
    for _ in 0..months {
        sim.step_month();
    }
    assert!(sim.entities() <= 4 * RUN_POPULATION, "population cap failed");
    "ran"
}

#[test]
fn thousands_of_mutants_neither_panic_nor_hang() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/valid_small.toml"))
        .expect("fixture");
    fuzz(text, 20_261_129, MUTANTS);
}

#[test]
fn lattice_mutants_neither_panic_nor_hang() {
    // career-lite (the lattice layout) at 2,000 agents.
    let text = careersim::load::CAREER_LITE.replace("agents = 1000000", "agents = 2000");
    assert_ne!(text, careersim::load::CAREER_LITE, "the agents line moved");
    fuzz(text, 7, MUTANTS / 3);
}

/// Mutates `text` `mutants` times from `seed`; fails on a panic, an abort
/// (the process dies) or a hang, naming the mutant.
fn fuzz(text: String, seed: u64, mutants: usize) {
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let mut rng = Pcg32::new(seed, 0xf022);
        let mut failures = Vec::new();
        let mut counts = [0usize; 3];
        for n in 0..mutants {
            let mutant = mutate(&text, &mut rng);
            tx.send((n, Some(mutant.clone()))).expect("receiver waits");
            match catch_unwind(AssertUnwindSafe(|| exercise(mutant.clone()))) {
                Ok("ran") => counts[0] += 1,
                Ok("refused") => counts[1] += 1,
                Ok(_) => counts[2] += 1,
                Err(p) => {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("mutant {n} panicked: {msg}\n{mutant}"));
                }
            }
        }
        tx.send((mutants, None)).expect("receiver waits");
        (failures, counts)
    });
    let mut current = (0, String::new());
    loop {
        match rx.recv_timeout(PER_MUTANT) {
            Ok((_, None)) => break,
            Ok((n, Some(m))) => current = (n, m),
            Err(_) => panic!(
                "mutant {} took more than {PER_MUTANT:?} (a hang):\n{}",
                current.0, current.1
            ),
        }
    }
    let (failures, counts) = worker.join().expect("worker");
    eprintln!(
        "{mutants} mutants in {:.1} s: {} ran, {} refused, {} refused when capped",
        started.elapsed().as_secs_f64(),
        counts[0],
        counts[1],
        counts[2]
    );
    assert!(
        failures.is_empty(),
        "{} mutants panicked:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // The mix is a real test: many mutants are refused, many still run.
    assert!(counts[0] > mutants / 10 && counts[1] > mutants / 10, "{counts:?}");
}
