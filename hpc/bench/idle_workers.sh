#!/usr/bin/env bash
# idle_workers.sh — what an idle worker costs while the master computes between pool calls:
# each worker's CPU share over SECONDS of the master's own work, at -np 2 and -np 3 (one rank per
# core and one over), under each wait policy. Target: <= 2 % of a core per worker.
#   hpc/bench/idle_workers.sh [--seconds S]
# Needs the release build (cmake --build --preset release --target idle_workers).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../env.sh"
seconds=2
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    *) echo "rankpool: error: unknown option '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
bench=$here/../../build/release/tests/mpi/idle_workers
[[ -x $bench ]] || { echo "rankpool: error: $bench is missing: build the release preset first" >&2; exit 1; }
echo "## idle_workers.sh: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$here" rev-parse --short HEAD)"
echo
echo "| ranks | wait | workers' CPU while the master computes |"
echo "|---|---|---|"
for np in 2 3; do
  for wait in auto block backoff; do
    printf '| %s | %s | %s |\n' "$np" "$wait" "$(mpirun -np "$np" --bind-to none "$bench" "$seconds" "$wait")"
  done
done
