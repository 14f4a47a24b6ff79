#!/usr/bin/env bash
# Distinct job values on 3 ranks, two ways:
#   hpc/bench/job_values.sh [TASKS]   10^6 distinct job values through apply_async: the master's
#       RSS after 10^4, 10^5 and 10^6 of them, and each worker's peak RSS. Flat means the workers
#       forget each job once its task is back.
#   hpc/bench/job_values.sh --setup [VALUES [MIB [TASKS_PER_VALUE [hold]]]]   100 job values
#       (default) whose setup() builds a 50 MiB table, every task queued at once: each worker's
#       peak RSS against the bound on set-up job values a worker keeps (kJobValuesKept tables).
#       "hold": the master keeps a loaded handle of every value to the end (nothing forgotten).
# Run after cmake --build --preset release.
set -euo pipefail
cd "$(dirname "$0")/../.."
source hpc/env.sh
start=$SECONDS
if [[ "${1:-}" == --setup ]]; then
  shift
  bin=${RANKPOOL_SETUP_VALUES_BIN:-build/release/tests/bench/bench_setup_values}
  mpirun --bind-to none -np 3 "$bin" "${1:-100}" "${2:-50}" "${3:-4}" ${4:+"$4"} 2>&1 | grep -E "worker rank|job values"
else
  bin=${RANKPOOL_JOB_VALUES_BIN:-build/release/examples/example_job_values}
  mpirun --bind-to none -np 3 "$bin" "${1:-1000000}" 2>&1 | grep -E "RSS|tasks"
fi
echo "took $((SECONDS - start)) s"
