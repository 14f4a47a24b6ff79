#!/usr/bin/env bash
# memory.sh — rank 0's peak RSS (/usr/bin/time -f %M around rank 0 only) for imap_unordered,
# imap and map over 10^4, 10^5, 10^6 trivial tasks on 3 ranks, beside Python Pool(2)'s master.
#   hpc/bench/memory.sh [--quick] [--tasks 10000,100000,1000000] [--no-peers] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~1 min on 2 cores; --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python memory.py "$@"
