# Sourced by each benchmark wrapper in hpc/bench/: `run_python NAME.py "$@"` runs lib/NAME.py with
# Debian's Python (mpi4py lives there) under hpc/env.sh's Open MPI settings, and tells it the
# command line it was started with (BENCH_COMMAND, printed in every table's header).
set -euo pipefail

run_python() {
  local here script=$1
  shift
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  source "$here/../env.sh"
  export PYTHONDONTWRITEBYTECODE=1   # keep lib/ free of __pycache__
  export BENCH_COMMAND="${RANKPOOL_BASELINE_BIN:+RANKPOOL_BASELINE_BIN=$RANKPOOL_BASELINE_BIN }hpc/bench/$(basename "$0")${*:+ $*}"
  exec /usr/bin/python3 "$here/lib/$script" "$@"
}
