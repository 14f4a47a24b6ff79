#!/usr/bin/env bash
# isolation.sh — what running tasks in child processes costs, and what it gives back:
#  (a) per trivial task, the default mode beside the isolated one (RANKPOOL_ISOLATE), one run of
#      this script, the same world size: a map of TASKS tasks, then TASKS/10 apply calls;
#  (b) a job whose every task leaks 100 MiB, 40 tasks: the highest peak RSS (VmHWM, read by each
#      task in the process that ran it) with a fresh child every 2 tasks, beside the default mode.
#   hpc/bench/isolation.sh [--np N] [--tasks TASKS] [--repeat R]
# Needs the release build (cmake --build --preset release --target isolation_bench).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../env.sh"
np=3 tasks=100000 repeat=5
while (($#)); do
  case $1 in
    --np) np=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "rankpool: error: unknown option '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
bench=$here/../../build/release/tests/mpi/isolation_bench
[[ -x $bench ]] || { echo "rankpool: error: $bench is missing: build the release preset first" >&2; exit 1; }

run() {  # run LABEL ISOLATE ARGS...: one mpirun; ISOLATE empty for the default mode
  local label=$1 isolate=$2
  shift 2
  local -a env=()
  [[ -n $isolate ]] && env=(-x RANKPOOL_ISOLATE="$isolate")
  printf '| %s | %s |\n' "$label" "$(mpirun -np "$np" "${env[@]}" "$bench" "$@")"
}

echo "## isolation.sh: $np ranks, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$here" rev-parse --short HEAD)"
echo
echo "| mode | trivial tasks: $tasks per map, best and median of $repeat |"
echo "|---|---|"
run "default" "" trivial "$tasks" "$repeat"
run "isolated, child never replaced" 0 trivial "$tasks" "$repeat"
run "isolated, a fresh child every 1000 tasks" 1000 trivial "$tasks" "$repeat"
run "isolated, a fresh child every task" 1 trivial "$((tasks / 100))" "$repeat"
echo
echo "| mode | 40 tasks that leak 100 MiB each |"
echo "|---|---|"
run "isolated, a fresh child every 2 tasks" 2 leak 40 100
run "default" "" leak 40 100
