#!/usr/bin/env python3
"""Rebuilds the two calibration target files from one master list of
published OUTCOME figures (calibration/outcomes_master.csv, one row per
figure, each with the reference month it describes):

  calibration/england_2018/targets.csv  figures dated up to 2018-12 only
                                        (an out-of-sample test: nothing
                                        dated 2019 or later may enter)
  calibration/england_2018/holdout_2019_2025.csv
                                        every figure dated 2019 or later:
                                        the 2018 calibration's hindcast
  calibration/england/targets.csv       every figure, 2015-09 .. 2025

The date of a figure is its reference month (year, month): the census date
of a stock, the last month of the 12 months of a flow (grain=year).
Rules applied to both files:
  * nothing before model month 0 (2015-09);
  * a flow at grain=year needs 12 whole model months before it, so its
    month is at least 2016-09 (model month 12; careersim's first_month);
  * every source_url must be listed in calibration/sources.csv;
  * no two weight-1 rows for the same series and month (the same figure
    is never counted twice).
Standard errors are ASSUMPTIONS for definitional mismatch, as in
build_targets.py (3% FTE stocks, 5% FTE of doctors in training, 10% flow
counts, 1 point for leaver rates, 3 points for course attrition).
Rerun: python3 calibration/split_targets.py
"""
import csv, os, sys
from collections import Counter

here = os.path.dirname(os.path.abspath(__file__))
COLS = ["series", "grain", "year", "month", "value", "se", "weight", "figure", "source_title", "source_url", "note"]
STOCKS = ("fte.", "headcount.", "share.ltft.", "share.pause.", "vacancies.", "rate.vacancy.", "count.on_pause.", "count.ltft.", "establishment_fte.")
START = (2015, 9)          # model month 0
FIRST_FLOW = (2016, 9)     # model month 12: first 12-month flow
CUT_2018 = (2018, 12)
LAST = (2025, 12)

rows = list(csv.DictReader(open(os.path.join(here, "outcomes_master.csv"), newline="")))
sources = {r["source_url"] for r in csv.DictReader(open(os.path.join(here, "sources.csv"), newline=""))}

def date(r):
    return (int(r["year"]), int(r["month"]))

kept, dropped = [], []
for r in rows:
    d, s = date(r), r["series"]
    assert r["source_url"] and r["source_title"], f"row without source: {s} {d}"
    assert r["source_url"] in sources, f"source not in sources.csv: {r['source_url']}"
    assert r["weight"] in ("0", "1"), f"weight must be 0 or 1: {s} {d}"
    assert 1 <= d[1] <= 12
    is_stock = s.startswith(STOCKS)
    if d < START:
        dropped.append((r, "before model month 0 (2015-09)"))
    elif not is_stock and r["grain"] == "year" and d < FIRST_FLOW:
        dropped.append((r, "12-month flow ending before 2016-09"))
    elif d > LAST:
        dropped.append((r, "after 2025"))
    else:
        kept.append(r)

dup = Counter((r["series"], date(r)) for r in kept if r["weight"] == "1")
bad = [k for k, n in dup.items() if n > 1]
assert not bad, f"same series and month twice at weight 1: {bad}"

def write(path, rs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLS)
        for r in rs:
            w.writerow([r[c] for c in COLS])

all_rows = kept
upto_2018 = [r for r in kept if date(r) <= CUT_2018]
# the out-of-sample guarantee
assert all(date(r) <= CUT_2018 for r in upto_2018)
write(os.path.join(here, "england_2018", "targets.csv"), upto_2018)
write(os.path.join(here, "england", "targets.csv"), all_rows)
# The out-of-sample test of the 2018 calibration: every figure dated 2019 or
# later (what `hindcast --observed` compares its runs with).
after_2018 = [r for r in kept if date(r) > CUT_2018]
write(os.path.join(here, "england_2018", "holdout_2019_2025.csv"), after_2018)
# re-read what was written and check the rule again on the file itself
for r in csv.DictReader(open(os.path.join(here, "england_2018", "targets.csv"), newline="")):
    assert date(r) <= CUT_2018, f"england_2018/targets.csv holds a figure dated after 2018-12: {r['series']} {date(r)}"

def family(s):
    p = s.split(".")
    return ".".join(p[:2]) if p[0] in ("rate", "share", "count") else p[0]

for name, rs in (("england_2018/targets.csv", upto_2018), ("england_2018/holdout_2019_2025.csv", after_2018), ("england/targets.csv", all_rows)):
    w1 = [r for r in rs if r["weight"] == "1"]
    print(f"{name}: {len(rs)} rows, {len(w1)} at weight 1, dated {min(map(date, rs))} .. {max(map(date, rs))}")
    fam = Counter(family(r["series"]) for r in rs)
    fam1 = Counter(family(r["series"]) for r in w1)
    for k in sorted(fam):
        print(f"  {k:22s} {fam[k]:3d} rows, {fam1[k]:3d} weight 1")
for r, why in dropped:
    print(f"dropped: {r['series']} {r['year']}-{int(r['month']):02d} ({why})", file=sys.stderr)
