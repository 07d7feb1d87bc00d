#!/usr/bin/env bash
# Regenerates the cookbook examples in results/examples/ (README, "Cookbook").
# Each is one `careersim scenarios` command on the calibrated England
# baseline at population scale 10 (a 1-in-10 sample; counts scaled back).
# About 8 minutes in total on a 2-core machine, after the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
CS=${CARGO_TARGET_DIR:-target}/release/careersim
P="--params calibration/england/best.toml --scale 10 --quiet"
# FORCE=1 passes --force: replace an example directory even if it holds
# files careersim did not list (or was written before results listed them).
t() { local name=$1; shift; /usr/bin/time -f "$name: %e s" "$CS" scenarios england "$@" --out "results/examples/$name" ${FORCE:+--force}; }
t oop_pause configs/scenarios/oop_pause.toml --replicates 5 --branch-at 2025-08 --until 2035-09 $P
t ltft_open configs/scenarios/ltft_open.toml --replicates 5 --branch-at 2022-08 --until 2035-09 $P
t intl_recruitment configs/scenarios/intl_recruitment.toml configs/scenarios/intl_red_list.toml --replicates 5 --branch-at 2025-04 --until 2035-09 $P
t gp_training configs/scenarios/gp_training_3250.toml --replicates 5 --branch-at 2019-01 --until 2030-09 $P
t nursing_growth configs/scenarios/nursing_expansion.toml configs/scenarios/student_attrition.toml configs/scenarios/nursing_expansion_high_attrition.toml configs/scenarios/nurse_demand_growth.toml --replicates 5 --branch-at 2024-08 --until 2035-09 $P
t posts_moved configs/scenarios/regional_redistribution.toml configs/scenarios/skill_mix.toml --replicates 5 --branch-at 2025-08 --until 2035-09 $P
t return_campaign configs/scenarios/return_to_practice.toml configs/scenarios/return_to_practice_10000.toml --replicates 5 --branch-at 2024-01 --until 2035-09 $P
t training_places configs/scenarios/training_places.toml configs/scenarios/retention.toml --replicates 5 --branch-at 2024-04 --until 2040-09 $P
# Specialties at full scale: a specialty's posts per region are a handful a
# year at 1 in 10.
P1="--params calibration/england/best.toml --scale 1 --quiet"
t specialty_redistribution configs/scenarios/specialty_redistribution.toml --replicates 5 --branch-at 2022-08 --until 2032-09 $P1
t more_generalists configs/scenarios/more_generalists.toml --replicates 5 --branch-at 2025-08 --until 2040-09 $P1
# Nursing fields and nursing associates at full scale too: learning
# disability nurses are ~3,500 FTE.
t ld_mh_growth configs/scenarios/ld_mh_growth.toml configs/scenarios/ld_mh_growth_half.toml --replicates 5 --branch-at 2024-08 --until 2040-09 $P1
t na_conversion configs/scenarios/na_conversion_low.toml configs/scenarios/na_conversion_high.toml --replicates 5 --branch-at 2024-08 --until 2040-09 $P1
# Costs and pensions (2026-11-30): four routes to more nurses priced per
# additional FTE-year; the cost of student attrition; what the pension-tax
# rules did and the 2023 fix; a slice of the medical training budget moved
# to nursing places, to 2060.
t nurse_routes configs/scenarios/nurse_route_training.toml configs/scenarios/nurse_route_international.toml configs/scenarios/nurse_route_retention.toml configs/scenarios/nurse_route_return.toml --replicates 5 --branch-at 2025-04 --until 2040-09 $P
t attrition_cost configs/scenarios/student_attrition.toml configs/scenarios/student_attrition_halved.toml --replicates 5 --branch-at 2024-08 --until 2035-09 $P
t pension_fix configs/scenarios/pension_no_taper.toml configs/scenarios/pension_taper_kept.toml configs/scenarios/pension_retire_return.toml --replicates 5 --branch-at 2016-04 --until 2035-09 $P
t budget_shift configs/scenarios/budget_shift.toml --replicates 5 --branch-at 2026-08 --until 2060-09 $P
t workforce_2060 configs/scenarios/retention.toml --posterior calibration/england/posterior.csv --draws 4 --replicates 3 --until 2060-09 --scale 10 --quiet
