//! The plain-Rust career-lite baseline as a command, printing the same JSON
//! shape as `careersim bench`:
//! `cargo bench --bench career_lite_baseline -- --agents N --months M --threads T --seed S [--at 60,120]`

#[path = "reference/career_lite.rs"]
mod career_lite;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // cargo bench probing
    }
    let agents: u64 = arg(&args, "--agents", 1_000_000);
    let months: u32 = arg(&args, "--months", 120);
    let threads: usize = arg(&args, "--threads", 1);
    let seed: u64 = arg(&args, "--seed", 1);
    let at: Vec<u32> = args
        .iter()
        .position(|a| a == "--at")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![months]);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("first pool");
    let r = career_lite::run(agents, months, seed, &at);
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(String::from))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map(|kb| kb * 1024);
    let counts: serde_json::Map<String, serde_json::Value> = r
        .counts
        .iter()
        .map(|(m, c)| (m.to_string(), serde_json::to_value(c).expect("counts")))
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "implementation": "baseline",
            "agents": agents, "months": months, "seed": seed, "threads": threads,
            "agent_months": r.agent_months, "step_seconds": r.step_seconds, "setup_seconds": r.setup_seconds,
            "agent_months_per_s": r.agent_months as f64 / r.step_seconds,
            "peak_rss_bytes": rss, "counts": counts,
        })
    );
}
