//! The bounds every input is checked against, in one place, and the memory
//! estimate of a run. No IO: the edge (`main`, `cli`) compares the estimate
//! with the memory the machine has.
//!
//! Why bounds at all: a count is turned into clinicians, ids, ledger cells
//! and loop trip counts. Unbounded, a headcount of 1e300 saturates to
//! `u64::MAX` and region apportioning never ends; 1e19 overflows a
//! capacity; 2^32 clinicians abort in the allocator. Each bound below is
//! far above any real workforce (NHS England employs about 1.5 million
//! people) and below the first value at which a type or the machine fails.

use crate::rules::{Initial, Rules};

/// Most clinicians one run may hold: the initial population plus every
/// joiner over the run (an upper bound of the peak population). Keeps
/// every ledger cell (`u32`) and initial-population id (below 2^32) exact,
/// and a run within about 95 GB; the memory check refuses less.
pub const MAX_POPULATION: u64 = 1_000_000_000;

/// Largest single absolute count in a config: a stock headcount, posts,
/// places, applicants or a capacity per year, the lattice `agents`.
/// Every count must also be finite and non-negative.
pub const MAX_COUNT: f64 = MAX_POPULATION as f64;

/// Most months a run may simulate: 100 years. Ages and pathway clocks are
/// held in `u16` months and joiner ids keep 12 bits of month.
pub const MAX_MONTHS: u32 = 1200;

/// Largest population scale k (a 1-in-k sample); beyond it every count
/// rounds to nothing.
pub const MAX_POPULATION_SCALE: f64 = 1e9;

/// Most model runs a calibration budget may ask for.
pub const MAX_BUDGET: u64 = 10_000_000;

/// Most ABC-SMC particles per generation.
pub const MAX_PARTICLES: u64 = 1_000_000;

/// Most ABC-SMC generations.
pub const MAX_GENERATIONS: u64 = 1_000;

/// Most replicates (seeds) of a hindcast, fit table or scenario ensemble,
/// and most posterior draws of a scenario ensemble.
pub const MAX_REPLICATES: u64 = 100_000;

/// Bytes one clinician costs at the peak: the 20-byte component in bevy's
/// table, its entity and location records, the removal lists and the
/// snapshot/step buffers (measured with `bench`: peak RSS over agents).
pub const BYTES_PER_CLINICIAN: u64 = 95;

/// Bytes the process needs before any run: the binary, bevy's world and
/// schedule, the thread pool (measured: `bench --agents 10000` peaks at
/// about 19 MB; 1e6 and 2e6 agents add 78 bytes per agent).
pub const PROCESS_BYTES: u64 = 32 << 20;

/// Bytes a month's ledger record costs per stock cell: headcount (`u32`),
/// FTE tenths (`u64`) and, as an allowance, one flow entry (16 bytes).
pub const BYTES_PER_CELL_MONTH: u64 = 4 + 8 + 16;

/// Longest value echoed in an error message; longer values are cut to this
/// many characters and their length in bytes is given.
pub const MAX_ECHO_CHARS: usize = 80;

/// A number as echoed in errors and overrides: huge ones in exponent form
/// (`1e300`, not 301 digits).
pub fn fmt_num(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A value as it may be echoed in an error: at most [`MAX_ECHO_CHARS`]
/// characters, then `… (N bytes)`.
pub fn clip(s: &str) -> String {
    clip_to(s, MAX_ECHO_CHARS)
}

/// Like [`clip`], each line cut to `max` characters and at most 20 lines
/// (for parser messages, which quote the offending line of a file).
pub fn clip_lines(s: &str, max: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let mut out: Vec<String> = lines.iter().take(20).map(|l| clip_to(l, max)).collect();
    if lines.len() > 20 {
        out.push(format!("… ({} more lines)", lines.len() - 20));
    }
    out.join("\n")
}

fn clip_to(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
    }
}

/// Clinicians in the initial population (the lattice size `agents` if
/// given, else the config's).
pub fn initial_population(rules: &Rules, agents: Option<u64>) -> u64 {
    match &rules.initial {
        Initial::Stocks(stocks) => stocks.iter().map(|s| s.headcount).fold(0u64, u64::saturating_add),
        Initial::Lattice(l) => agents.unwrap_or(l.agents),
    }
}

/// An upper bound of the clinicians a run holds at once: the initial
/// population plus every planned joiner of the run (recruitment moves
/// clinicians, it does not create them). Saturates rather than overflows.
pub fn peak_population(rules: &Rules, agents: Option<u64>) -> u64 {
    let initial = initial_population(rules, agents);
    let mut total = initial;
    for f in &rules.inflows {
        let joiners = match (&f.places, f.per_month_share_of_initial) {
            (Some(places), _) => {
                // Each simulated calendar year's places, whole years.
                let first = rules.start.plus(1).year;
                let last = rules.start.plus(rules.months).year;
                (first..=last).map(|y| places.at(y).ceil().max(0.0)).sum::<f64>()
            }
            (None, Some(share)) => (initial as f64 * share).ceil() * rules.months as f64,
            (None, None) => 0.0,
        };
        total = total.saturating_add(saturating_u64(joiners));
    }
    total
}

fn saturating_u64(x: f64) -> u64 {
    if x.is_finite() && x >= 0.0 && x < u64::MAX as f64 {
        x as u64
    } else {
        u64::MAX
    }
}

/// Estimated peak bytes of one run: [`BYTES_PER_CLINICIAN`] per clinician
/// of [`peak_population`], plus the monthly ledger records kept for the
/// outputs ([`BYTES_PER_CELL_MONTH`] per stock cell and month), plus the
/// output tables made from them (allowed as much again).
pub fn run_bytes(rules: &Rules, agents: Option<u64>) -> u64 {
    let clinicians = peak_population(rules, agents).saturating_mul(BYTES_PER_CLINICIAN);
    let ledger = (rules.n_stock_cells() as u64)
        .saturating_mul(BYTES_PER_CELL_MONTH)
        .saturating_mul(rules.months as u64 + 1);
    clinicians.saturating_add(ledger.saturating_mul(2))
}

/// A byte count for people: `1.5 GiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = b as f64;
    let mut u = 0;
    while x >= 1024.0 && u < UNITS.len() - 1 {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// Parses a byte count as given on the command line: a number with an
/// optional suffix K, M, G or T (powers of 1024; `KB`, `KiB`, `k` also
/// accepted), e.g. `8G`, `512M`, `1.5G`, `1000000`.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let v = x * mult;
    (v.is_finite() && v >= 1.0 && v < u64::MAX as f64).then_some(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_rules;

    #[test]
    fn clip_keeps_short_values_and_cuts_long_ones_with_their_length() {
        assert_eq!(clip("0.5"), "0.5");
        let long = "x".repeat(10_000);
        let c = clip(&long);
        assert_eq!(c, format!("{}… (10000 bytes)", "x".repeat(80)));
        // Multi-byte characters are cut on a character boundary.
        let c = clip(&"é".repeat(100));
        assert!(c.starts_with(&"é".repeat(80)) && c.ends_with("(200 bytes)"), "{c}");
    }

    #[test]
    fn byte_sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes("8G"), Some(8 << 30));
        assert_eq!(parse_bytes("512M"), Some(512 << 20));
        assert_eq!(parse_bytes("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_bytes("1000"), Some(1000));
        for bad in ["", "G", "-1G", "8X", "0", "1e400"] {
            assert_eq!(parse_bytes(bad), None, "{bad}");
        }
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn the_estimate_counts_initial_population_joiners_and_ledger() {
        // tiny: one region, 3 grades; no stocks, no inflows.
        let rules = tiny_rules("");
        let cells = rules.n_stock_cells() as u64;
        assert_eq!(peak_population(&rules, None), 0);
        assert_eq!(run_bytes(&rules, None), 2 * cells * BYTES_PER_CELL_MONTH * 13);
        let rules = tiny_rules(
            "[[stock]]\ngrade = \"consultant\"\nstate = \"qualified\"\nheadcount = 1000\nage_years = [40, 50]\n\
             [[inflow]]\nname = \"ct_intake\"\ngrade = \"consultant\"\nstate = \"qualified\"\n\
             per_year = { 2020 = 120 }\nage_years = [30, 31]\n",
        );
        // Start 2020-08, 12 months: months 1..=12 touch 2020 and 2021.
        assert_eq!(peak_population(&rules, None), 1000 + 240);
        assert_eq!(
            run_bytes(&rules, None),
            1240 * BYTES_PER_CLINICIAN + 2 * cells * BYTES_PER_CELL_MONTH * 13
        );
    }
}
