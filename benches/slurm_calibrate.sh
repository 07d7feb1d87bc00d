#!/bin/bash
# A SLURM batch job: the England calibration across 4 nodes (16 MPI ranks of
# 8 threads), resumable. If the job is pre-empted or reaches its time limit,
# SLURM sends SIGTERM two minutes before the end (--signal), careersim stops
# cleanly keeping every finished run in results/cal.checkpoint/, and the
# requeued job (--requeue) continues from there with --resume; the result is
# byte-identical to an uninterrupted run. Build first with
#   cargo build --release --features mpi
# (Open MPI or another MPI with its development headers, and libclang).
#SBATCH --job-name=careersim-cal
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=02:00:00
#SBATCH --requeue
#SBATCH --signal=TERM@120
#SBATCH --output=careersim-cal-%j.log
set -euo pipefail
# Plain progress lines in the log every minute.
export CAREERSIM_PROGRESS_SECONDS=60
srun target/release/careersim calibrate configs/england_baseline.toml \
  --targets calibration/england/targets.csv \
  --free calibration/england/free.toml \
  --method abc-smc --particles 300 --generations 8 --budget 12000 --scale 5 --seed 1 \
  --fit-replicates 20 \
  --threads "$SLURM_CPUS_PER_TASK" \
  --out results/cal --resume
