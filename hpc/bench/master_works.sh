#!/usr/bin/env bash
# master_works.sh — 100 sleep tasks of 20 ms submitted with apply_async, imap and map_async, then 1 s of
# master-side work, then the results, on 3 ranks, beside Python's Pool(2) doing the same: does the work go on
# while the master computes? Target each ≤ 1.15 s (the work and the computation need 1.0 s each).
#   hpc/bench/master_works.sh [--quick] [--tasks N] [--task-ms MS] [--master-s S] [--repeat R]
# Markdown on stdout, progress on stderr. ~30 s on 2 cores (+ the first build of hpc/bench/overlap).
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python master_works.py "$@"
