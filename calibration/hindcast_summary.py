#!/usr/bin/env python3
"""Summarises a hindcast (hindcast.csv from `careersim hindcast`) over the
weight-1 figures of the observed file it was run against: MAPE, bias and
figures inside the simulated 90% interval per series (measure.scope), the
FTE stocks of the five groups issue 13 names, and all figures.

  python3 calibration/hindcast_summary.py <hindcast dir>  > by_family_weight1.md

Changes (fte_change) have no percentage error; their rows give the figures
inside the interval only. The observed file is read from the `line` column
(path:line) so weights come from the file the hindcast used."""
import csv, sys, os

d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "hindcast.csv"), newline="")))
weights = {}
for r in rows:
    path, line = r["line"].rsplit(":", 1)
    if path not in weights:
        with open(path, newline="") as f:
            obs = list(csv.DictReader(f))
        # DictReader rows start at file line 2.
        weights[path] = {str(i + 2): o["weight"] for i, o in enumerate(obs)}
    r["weight"] = weights[path][line]
w1 = [r for r in rows if float(r["weight"]) == 1.0]

def fam(r):
    return r["series"].split("@")[0]

FIVE = ("fte.nurse", "fte.hchs_doctor", "fte.gp", "fte.midwife", "fte.ahp")
order = []
for r in w1:
    if fam(r) not in order:
        order.append(fam(r))
print("| family | figures | MAPE | bias | inside 90% |")
print("|---|---:|---:|---:|---:|")
def line(name, rs, bold=False, mape_too=True):
    pct = [float(r["pct_error"]) for r in rs if r["pct_error"] not in ("", "NaN")]
    inside = sum(r["inside_90"] == "true" for r in rs)
    mape = f"{100 * sum(abs(p) for p in pct) / len(pct):.1f}%" if pct else "n/a"
    bias = f"{100 * sum(pct) / len(pct):+.1f}%" if pct else "n/a"
    b = "**" if bold else ""
    if bold:
        bias = ""
    if not mape_too:
        mape = ""
    print(f"| {b}{name}{b} | {len(rs)} | {mape} | {bias} | {inside}/{len(rs)} |")
for f in order:
    line(f, [r for r in w1 if fam(r) == f])
line("FTE stocks of nurses, HCHS doctors, GPs, midwives, AHPs", [r for r in w1 if fam(r) in FIVE], True)
line("all weight-1 figures", w1, True, mape_too=False)
