#!/usr/bin/env bash
# run_all.sh — every benchmark in turn; Markdown on stdout (redirect it to a file),
# progress on stderr. Options (e.g. --quick, --wait-quiet 1.5) go to every script.
#   hpc/bench/run_all.sh [--quick] [--wait-quiet LOAD] > results.md
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
for script in dispatch cpu_scaling per_task startup memory overlap io_latency grain dispatch_bare sched exec reposts_cpu reposts_inflight; do
  echo "run_all: $script.sh $*" >&2
  "$here/$script.sh" "$@" || { status=1; echo "run_all: $script.sh failed" >&2; }
  echo
done
exit $status
