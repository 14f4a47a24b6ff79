#!/usr/bin/env bash
# dispatch.sh — per-task overhead of trivial tasks (rankpool sleep --seconds 0),
# every variant at chunksize 1 and default, 2 workers on 3 ranks, beside
# mpi4py.futures (mpirun -np 3) and Python's Pool(2) on the same task counts;
# then the idle check (master/idle-worker CPU while tasks sleep 0.5 s).
#   hpc/bench/dispatch.sh [--quick] [--tasks 10000,100000] [--repeat N] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~2-3 min on 2 cores; --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python dispatch.py "$@"
