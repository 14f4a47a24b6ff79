#!/usr/bin/env bash
# dispatch_bare.sh — µs per trivial task through apply_async at --chunksize 1
# (rankpool sleep --tasks 200000 --seconds 0, 3 ranks) against a bare MPI master/worker loop in C
# (lib/bare_dispatch.c, built here with mpicc), best of 3, interleaved in one run; the ratio.
#   hpc/bench/dispatch_bare.sh [--quick] [--tasks N] [--np N] [--repeat R] [--variants LIST]
#                              [--wait default,block,backoff] [--wait-quiet LOAD]
#   RANKPOOL_BASELINE_BIN=/path/to/older/rankpool hpc/bench/dispatch_bare.sh   # both binaries, one run
# Markdown on stdout, progress on stderr. Default ~30 s on 2 cores.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python dispatch_bare.py "$@"
