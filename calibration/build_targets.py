#!/usr/bin/env python3
"""Builds calibration/targets.csv (fitted) and calibration/holdout.csv (held
out for the hindcast) from the project's copy of the sourced figures.

Each row maps one published figure (quantity, staff group, year as in
../shared/calibration/nhs_england_figures.csv, copied to
calibration/nhs_england_figures.csv) to a series of careersim's vocabulary.
Standard errors are ASSUMPTIONS that stand for definitional mismatch, not
sampling error: 3% for FTE stocks, 5% for FTE of doctors in training (the
HCHS count excludes GP trainees in practice placements), 10% for flow counts,
one percentage point for leaver rates, three for course attrition.
Rerun: python3 calibration/build_targets.py
"""
import csv, os
here = os.path.dirname(os.path.abspath(__file__))
rows = list(csv.DictReader(open(os.path.join(here, "nhs_england_figures.csv"))))

def find(quantity, group, year, value):
    for r in rows:
        if r["quantity"] == quantity and r["staff_group"] == group and r["year"] == str(year) and float(r["value"]) == value:
            return r
    raise SystemExit(f"figure not found: {quantity} {group} {year} {value}")

# (role, series, grain, year, month, se_rel or se_abs, figure key, scale, note)
M = [
 ("fit", "fte.nurse", "year", 2016, 9, ("rel", .03), ("fte", "nurses_health_visitors", 2016, 284000), 1, "excl. practice nurses"),
 ("fit", "fte.nurse", "year", 2017, 9, ("rel", .03), ("fte", "nurses_health_visitors", 2017, 284000), 1, ""),
 ("fit", "fte.consultant", "year", 2016, 9, ("rel", .03), ("fte", "consultants", 2016, 44300), 1, ""),
 ("fit", "fte.consultant", "year", 2017, 9, ("rel", .03), ("fte", "consultants", 2017, 45800), 1, ""),
 ("fit", "fte.doctor_in_training", "year", 2016, 9, ("rel", .05), ("fte", "hospital_doctors_in_training", 2016, 51600), 1, "HCHS count; model includes GP trainees"),
 ("fit", "fte.doctor_in_training", "year", 2017, 9, ("rel", .05), ("fte", "hospital_doctors_in_training", 2017, 52800), 1, "HCHS count; model includes GP trainees"),
 ("fit", "fte.midwife", "year", 2016, 9, ("rel", .03), ("fte", "midwives", 2016, 21000), 1, ""),
 ("fit", "fte.midwife", "year", 2017, 9, ("rel", .03), ("fte", "midwives", 2017, 21200), 1, ""),
 ("fit", "fte.gp", "year", 2017, 9, ("rel", .03), ("fte", "gp_fully_qualified_substantive", 2017, 28874), 1, "fully qualified, excl. registrars and locums"),
 ("fit", "rate.leaver.nurse", "year", 2017, 3, ("abs", .01), ("leaver_rate", "nurses_health_visitors", 2017, 0.1), 1, "financial year 2016-17; exits from active service"),
 ("fit", "count.leavers.nurse", "year", 2016, 9, ("rel", .10), ("leavers_count", "nurses_health_visitors", 2016, 36778), 1, "Sept 2015 - Sept 2016"),
 ("fit", "count.leavers.gp", "year", 2017, 9, ("rel", .10), ("gp_leavers", "gp_qualified_permanent", 2017, 2807), 1, "headcount, Sept-Sept"),
 ("fit", "count.acceptances.gp_training", "year", 2017, 2, ("rel", .05), ("gp_training_acceptances", "gp_trainees", 2016, 2989), 1, "2016 recruitment year: August 2016 and February 2017 rounds"),
 ("fit", "share.noncompletion.nursing_student", "year", 2017, 9, ("abs", .03), ("nursing_student_attrition", "nursing_students", 2017, 0.24), 1, "UK; 2014 starters not completing"),
 ("holdout", "fte.nurse", "year", 2018, 3, ("rel", .03), ("fte", "nurses_health_visitors", 2018, 286000), 1, "31 March 2018"),
 ("holdout", "fte.midwife", "year", 2017, 3, ("rel", .03), ("fte", "midwives", 2017, 21600), 1, "31 March 2017"),
 ("holdout", "fte.midwife", "year", 2018, 3, ("rel", .03), ("fte", "midwives", 2018, 21800), 1, "31 March 2018"),
 ("holdout", "fte.gp", "year", 2018, 9, ("rel", .03), ("fte", "gp_fully_qualified_substantive", 2018, 28278), 1, ""),
 ("holdout", "rate.leaver.nurse", "year", 2018, 3, ("abs", .01), ("leaver_rate", "nurses_health_visitors", 2018, 0.107), 1, "financial year 2017-18"),
 ("holdout", "count.leavers.nurse", "year", 2017, 3, ("rel", .10), ("leavers_count", "nurses_health_visitors", 2017, 33500), 1, "financial year 2016-17"),
 ("holdout", "count.leavers.gp", "year", 2018, 9, ("rel", .10), ("gp_leavers", "gp_qualified_permanent", 2018, 3071), 1, "headcount, Sept-Sept"),
 ("holdout", "count.acceptances.gp_training", "year", 2019, 2, ("rel", .05), ("gp_training_acceptances", "gp_trainees", 2018, 3473), 1, "2018 recruitment year"),
 ("holdout", "count.intl_joiners.nurse", "year", 2018, 3, ("rel", .20), ("nmc_first_time_joiners_international", "nurses_midwives", 2018, 3522), 0.84, "UK NMC figure x 0.84 (England share of UK population); incl. midwives"),
]

cols = ["series", "grain", "year", "month", "value", "se", "weight", "figure", "source_title", "source_url", "note"]
out = {"fit": [], "holdout": []}
for role, series, grain, y, m, (kind, se), key, scale, note in M:
    r = find(*key)
    value = float(r["value"]) * scale
    s = se * value if kind == "rel" else se
    figure = f'{r["quantity"]} / {r["staff_group"]} / {r["region"]} / {r["year"]} = {r["value"]} {r["unit"]}'
    out[role].append([series, grain, y, m, f"{value:g}", f"{s:.6g}", 1, figure, r["source_title"], r["source_url"], note])
for role, name in [("fit", "targets.csv"), ("holdout", "holdout.csv")]:
    with open(os.path.join(here, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        w.writerows(out[role])
    print(name, len(out[role]), "rows")
