#!/usr/bin/env bash
# sched.sh — the scheduler's targets on 3 ranks: idle master CPU (<= 1 % of a core, from --json
# master_cpu_seconds net of start-up), imap_unordered master memory over 10^4..10^6 tasks (flat), and
# map master memory against the results' own size (<= 2x), rank 0's peak RSS.
#   hpc/bench/sched.sh [--quick] [--wait default,block,backoff] [--tasks 10000,100000,1000000]
#                      [--idle-seconds S] [--factorial-numbers A-B] [--skip idle|memory] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~1.5 min on 2 cores; --quick ~30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python sched.py "$@"
