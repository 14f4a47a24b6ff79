#!/usr/bin/env bash
# master_cost.sh — the master's CPU per task and per message (trivial tasks at chunksize 1 and 1000,
# the slope between two task counts), and from them how many workers one master feeds at 0.1, 1 and
# 10 ms tasks (docs/design.md, "Past one node").
#   hpc/bench/master_cost.sh [--quick] [--np N] [--low N] [--high N] [--big K] [--repeat R]
# Markdown on stdout, progress on stderr. ~1 min on 2 cores; --quick ~15 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python master_cost.py "$@"
