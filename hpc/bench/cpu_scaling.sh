#!/usr/bin/env bash
# cpu_scaling.sh — CPU-bound scaling: rankpool factorial over a range of n (~10 s serial),
# every variant on 3 ranks / 2 cores vs serial (target >= 1.9x), master CPU, worker balance,
# a --pool 1 row, and Python Pool(2) / mpi4py.futures speed-ups on the same kind of work.
#   hpc/bench/cpu_scaling.sh [--quick] [--numbers A-B] [--peer-step K] [--no-peers] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~3 min on 2 cores; --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python cpu_scaling.py "$@"
