#!/usr/bin/env bash
# master_scale.sh — the master's CPU per task at 4, 16, 64 and 128 ranks (oversubscribed; 5 ms sleep
# tasks, so the cores are not the limit), and each variant's efficiency: does the master's cost per
# task grow with the number of workers? Target: at 128 ranks at most 1.5x the cost at 4, >= 95 %.
#   [RANKPOOL_BASELINE_BIN=/path/to/older/rankpool] hpc/bench/master_scale.sh [--quick] [--sizes 4,16,64,128] [--seconds S] [--low N] [--high N]
#                             [--variants LIST] [--repeat R]
# Markdown on stdout, progress on stderr. ~6 min on 2 cores; --quick ~1 min.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python master_scale.py "$@"
