#!/usr/bin/env bash
# exec.sh — a command farm: 2000 x `true` (each line run by /bin/sh -c) on 2 workers,
# `mpirun -np 3 rankpool exec` beside `xargs -P2` and GNU parallel `-j2`, start-up included;
# target rankpool <= 1.5x xargs. Also: rows recorded (--out), chunksize 16, start-up alone,
# xargs without a shell, and one stream (rankpool --variant serial vs xargs -P1).
#   hpc/bench/exec.sh [--quick] [--tasks N] [--repeat R] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~2 min on 2 cores (GNU parallel is most of
# it); --quick (500 tasks, 1 round) < 30 s. Needs GNU parallel (Debian package `parallel`).
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python exec_farm.py "$@"
