#!/usr/bin/env bash
# Regenerates results/bench/README.md: career-lite, engine vs plain-Rust
# baseline, 1e5/1e6/1e7 agents x 1/2 threads, 120 months, plus the England
# baseline's 30-year wall time. Usage: benches/run_bench.sh [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
OUT=results/bench
T=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"
cargo build --release --quiet
cargo bench --quiet --bench career_lite_baseline --no-run 2>/dev/null
BASELINE=$(ls -t "$T"/release/deps/career_lite_baseline-* | grep -v '\.d$' | head -1)
RUNS="$OUT/runs.jsonl"
: > "$RUNS.tmp"
for n in 100000 1000000 10000000; do
  for t in 1 2; do
    for r in $(seq "$REPEATS"); do
      # Engine and baseline alternate so both see the same machine state.
      "$T"/release/careersim bench --agents "$n" --threads "$t" --months 120 --seed 1 --at 60,120 \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); d["implementation"]="engine"; print(json.dumps(d))' >> "$RUNS.tmp"
      "$BASELINE" --agents "$n" --threads "$t" --months 120 --seed 1 --at 60,120 >> "$RUNS.tmp"
    done
  done
done
# A fresh output path each time (careersim never replaces a directory it
# cannot recognise as its own result).
ENGDIR=$(mktemp -d)
ENGLAND=$( { /usr/bin/time -f "%e" "$T"/release/careersim run --threads 2 --quiet --out "$ENGDIR/england" >/dev/null; } 2>&1 | tail -1)
rm -rf "$ENGDIR"
mv "$RUNS.tmp" "$RUNS"
python3 - "$RUNS" "$ENGLAND" "$REPEATS" > "$OUT/README.md.tmp" <<'PY'
import json, sys, statistics, subprocess
runs = [json.loads(l) for l in open(sys.argv[1])]
england, repeats = sys.argv[2], sys.argv[3]
def sh(c): return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
rows = {}
for d in runs:
    rows.setdefault((d["agents"], d["threads"], d["implementation"]), []).append(d)
print("# career-lite benchmark: careersim engine vs plain-Rust baseline\n")
print("Regenerate with `benches/run_bench.sh` (" + repeats + " repeats per cell; the median rate is shown,")
print("engine and baseline alternating in the same run). Workload: career-lite v1, 120 months, seed 1,")
print("`careersim bench --agents N --threads T --months 120` and")
print("`cargo bench --bench career_lite_baseline -- --agents N --threads T --months 120`.")
print("Rates are agent-months per second of stepping (setup and output timed apart);")
print("bytes/agent is peak RSS / initial agents.\n")
print("| agents | threads | engine agent-months/s | baseline agent-months/s | engine/baseline | engine B/agent | baseline B/agent | engine setup s |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted({k[0] for k in rows}):
    for t in sorted({k[1] for k in rows if k[0] == n}):
        e, b = rows[(n, t, "engine")], rows[(n, t, "baseline")]
        er = statistics.median(x["agent_months_per_s"] for x in e)
        br = statistics.median(x["agent_months_per_s"] for x in b)
        eb = max(x["peak_rss_bytes"] for x in e) / n
        bb = max(x["peak_rss_bytes"] for x in b) / n
        es = statistics.median(x["setup_seconds"] for x in e)
        print(f"| {n:.0e} | {t} | {er:.3g} | {br:.3g} | {er/br:.0%} | {eb:.0f} | {bb:.0f} | {es:.2f} |")
same = all(rows[(k[0], k[1], "engine")][0]["counts"]["120"][key] == v
           for k in rows if k[2] == "baseline" for key, v in rows[k][0]["counts"]["120"].items())
print(f"\nCounts at months 60 and 120 agree exactly between engine and baseline in every cell: {same}.")
print(f"\nEngland baseline (`careersim run --threads 2`, 30 years, ~800k clinicians): {england} s wall.\n")
def rate(n, t, impl):
    return statistics.median(x["agent_months_per_s"] for x in rows[(n, t, impl)])
def met(ok): return "**met**" if ok else "**not met**"
top = (10**7, 2)
if top + ("engine",) in rows:
    e, b = rate(*top, "engine"), rate(*top, "baseline")
    mem = max(x["peak_rss_bytes"] for x in rows[top + ("engine",)]) / 10**7
    print("## Targets (issue 3), from the measurements above\n")
    print("| target | measured | status |")
    print("|---|---|---|")
    print(f"| 1e7 agents, 2 threads: engine ≥ 2.0e8 agent-months/s | {e:.3g} | {met(e >= 2e8)} |")
    print(f"| engine ≥ 75% of the baseline in the same run (1e7, 2 threads) | {e/b:.0%} | {met(e >= 0.75 * b)} |")
    print(f"| peak RSS ≤ 100 bytes/agent at 1e7 | {mem:.0f} B | {met(mem <= 100)} |")
    for t in (1, 2):
        if (10**5, t, "engine") in rows:
            lo, hi = rate(10**5, t, "engine"), rate(10**7, t, "engine")
            print(f"| throughput roughly flat 1e5 → 1e7, {t} thread(s) | 1e5/1e7 = {lo/hi:.2f} | {met(0.67 <= lo/hi <= 1.5)} (within 1.5x) |")
    print(f"| England baseline, 30 years, < 10 s | {england} s | {met(float(england) < 10)} |")
    print()
    # Issue 17. The plain-Rust baseline has not changed since issue 17 was
    # filed (the keyed draw is the same), so this run's baseline is the
    # fixed yardstick the issue names.
    print("## Targets (issue 17), from the same measurements\n")
    print("| target | measured | status |")
    print("|---|---|---|")
    print(f"| career-lite 1e7 agents, 2 threads: engine ≥ 1.5x the plain-Rust baseline | {e/b:.2f}x ({e:.3g} vs {b:.3g}) | {met(e >= 1.5 * b)} |")
    print(f"| ≤ 100 B per agent (1e7) | {mem:.0f} B | {met(mem <= 100)} |")
    for t in (1, 2):
        if (10**5, t, "engine") in rows:
            lo, hi = rate(10**5, t, "engine"), rate(10**7, t, "engine")
            ratio = max(lo, hi) / min(lo, hi)
            print(f"| 1e5 → 1e7 flat within 1.5x, {t} thread(s) | {ratio:.2f}x | {met(ratio <= 1.5)} |")
    print(f"| England baseline, 30 years, 2 threads, < 1.5 s including writing | {england} s | {met(float(england) < 1.5)} |")
    print("| the shipped England calibration at scale 1 in < 15 min on 2 cores | not run by this script: at scale 5 it took 1,952 s (`calibration/england/manifest.json`), and a run at scale 1 is about five times the work | **not met** |")
    print()
print("## MPI\n\nScaling across MPI ranks (issue 16): `mpi_scaling.md`, from `benches/mpi_scaling.sh`.\n")
print("## Machine\n")
print("```")
print(sh("lscpu | grep -E 'Model name|^CPU\\(s\\)|Thread|MHz|L2|L3'"))
print(sh("rustc -V"))
print("```")
PY
cat benches/notes.md >> "$OUT/README.md.tmp"
mv "$OUT/README.md.tmp" "$OUT/README.md"
cat "$OUT/README.md"
