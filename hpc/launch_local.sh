#!/bin/bash
# launch_local.sh - runs rankpool on this machine's cores with mpirun: rank 0
# the master plus one worker per core (the master sleeps while it waits, so
# its extra rank costs no core).
#
#   hpc/launch_local.sh factorial --upto 2000 --variant map --json
#   hpc/launch_local.sh --np 9 --oversubscribe reposts --mid 3664072912104801 --api-base URL
#   hpc/launch_local.sh --dry-run compare factorial --upto 500
#
# Options (before the rankpool arguments; `--` ends them):
#   --np N            ranks in all                     [cores + 1; env RANKPOOL_NP]
#   --oversubscribe   allow more ranks than cores + 1  [env RANKPOOL_OVERSUBSCRIBE=1,
#                     or OMPI_MCA_rmaps_base_oversubscribe=1 as hpc/env.sh sets]
#   --dry-run         print the command, run nothing
#   -h, --help
# Environment:
#   RANKPOOL_BIN   the binary [newest of build/release/src/cli/rankpool and
#                  build/src/cli/rankpool in this repo, else rankpool on PATH]
#   MPIRUN         the launcher [mpirun]; MPIRUN_FLAGS extra flags for it
# As root, Open MPI also wants OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# (source hpc/env.sh).
#
# Slots: with Open MPI the script declares cores + 1 slots on localhost, so the
# default needs no --oversubscribe; asking for more ranks than that does.
# Binding is off (--bind-to none): the sleeping master must not pin a core
# that a worker then cannot use.

set -euo pipefail

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }
die() { echo "launch_local.sh: $*" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cores=$(nproc)
np=${RANKPOOL_NP:-$((cores + 1))}
# hpc/env.sh's Open MPI setting counts as asking.
case ${OMPI_MCA_rmaps_base_oversubscribe:-} in 1 | true) oversubscribe=1 ;; *) oversubscribe=0 ;; esac
oversubscribe=${RANKPOOL_OVERSUBSCRIBE:-$oversubscribe}
dry_run=0
mpirun=${MPIRUN:-mpirun}
read -r -a extra_flags <<<"${MPIRUN_FLAGS:-}"

while (($#)); do
  case $1 in
    --np) (($# >= 2)) || die "--np needs a number"; np=$2; shift 2 ;;
    --np=*) np=${1#--np=}; shift ;;
    --oversubscribe) oversubscribe=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
(($# >= 1)) || { usage >&2; die "no rankpool job given (factorial, reposts, compare, ...)"; }
[[ $np =~ ^[1-9][0-9]*$ ]] || die "--np must be a positive number, not '$np'"
[[ $oversubscribe == 0 || $oversubscribe == 1 ]] || die "RANKPOOL_OVERSUBSCRIBE must be 0 or 1, not '$oversubscribe'"

if [[ -z ${RANKPOOL_BIN:-} ]]; then
  for candidate in "$repo/build/release/src/cli/rankpool" "$repo/build/src/cli/rankpool"; do
    [[ -x $candidate ]] || continue
    [[ -n ${RANKPOOL_BIN:-} && ! $candidate -nt $RANKPOOL_BIN ]] || RANKPOOL_BIN=$candidate
  done
  : "${RANKPOOL_BIN:=$(command -v rankpool || true)}"
fi
[[ -n ${RANKPOOL_BIN:-} && -x $RANKPOOL_BIN ]] ||
  die "no rankpool binary: build it (cmake --preset release && cmake --build --preset release) or set RANKPOOL_BIN"
command -v "$mpirun" >/dev/null || die "'$mpirun' not found (apt-get install openmpi-bin, or set MPIRUN)"

slots=$((cores + 1))
if ((np > slots && !oversubscribe)); then
  die "$np ranks on $cores cores: more than cores + 1 = $slots; pass --oversubscribe (or RANKPOOL_OVERSUBSCRIBE=1) to run them anyway"
fi

cmd=("$mpirun" -np "$np")
if "$mpirun" --version 2>&1 | grep -q "Open MPI"; then
  cmd+=(--host "localhost:$slots" --bind-to none)
  ((!oversubscribe)) || cmd+=(--oversubscribe)
fi # MPICH and Intel MPI start any number of local ranks with -np alone.
cmd+=("${extra_flags[@]}" "$RANKPOOL_BIN" "$@")

echo "launch_local.sh: $np rank(s) (1 master + $((np - 1)) workers) on $cores cores" >&2
if ((dry_run)); then
  printf '%q ' "${cmd[@]}"
  echo
  exit 0
fi
exec "${cmd[@]}"
