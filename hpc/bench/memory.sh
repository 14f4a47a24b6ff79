#!/usr/bin/env bash
# memory.sh — rank 0's peak RSS (/usr/bin/time -f %M around rank 0 only) for imap_unordered,
# imap and map over 10^4, 10^5, 10^6 trivial tasks on 3 ranks, beside Python Pool(2)'s master.
#   hpc/bench/memory.sh [--quick] [--tasks 10000,100000,1000000] [--no-peers] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~1 min on 2 cores; --quick < 30 s.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../env.sh"
export PYTHONDONTWRITEBYTECODE=1   # keep lib/ free of __pycache__
export BENCH_COMMAND="hpc/bench/$(basename "$0")${*:+ $*}"
exec /usr/bin/python3 "$here/lib/memory.py" "$@"
