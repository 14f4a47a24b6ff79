#!/usr/bin/env bash
# Job values: 10^6 distinct job values through apply_async on 3 ranks; the
# master's RSS after 10^4, 10^5 and 10^6 of them, and each worker's peak RSS.
# Flat means the workers forget each job once its task is back.
# usage: hpc/bench/job_values.sh [TASKS]   (after cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/../.."
source hpc/env.sh
bin=${RANKPOOL_JOB_VALUES_BIN:-build/release/examples/example_job_values}
start=$SECONDS
mpirun --bind-to none -np 3 "$bin" "${1:-1000000}" 2>&1 | grep -E "RSS|tasks"
echo "took $((SECONDS - start)) s"
