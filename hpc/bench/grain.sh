#!/usr/bin/env bash
# grain.sh — each variant's speed-up over serial as % of the machine's own ceiling
# (K bare serial processes, measured in the same run) at 0.1, 0.5 and 2 ms task grain,
# master + K workers (mpirun -np K+1 --bind-to none), factorials at default settings, best of 2;
# Python Pool (map, imap_unordered) and mpi4py.futures (map, chunksize 1 and 16) beside it.
#   hpc/bench/grain.sh [--quick] [--np N] [--wait default,block,backoff] [--grains 0.1,0.5,2]
#                      [--scale F] [--variants LIST] [--no-peers] [--repeat R] [--wait-quiet LOAD]
#                      [--master-works]   # rank 0 works too: NP ranks against NP bare processes
#   RANKPOOL_BASELINE_BIN=/path/to/older/rankpool hpc/bench/grain.sh   # both binaries' rows in one run
# 16 ranks (a machine with >= 16 cores): hpc/bench/grain.sh --np 16 --scale 4 --wait default,block,backoff
# Markdown on stdout, progress on stderr. Default ~4-5 min on 2 cores; --quick ~1 min.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python grain.py "$@"
