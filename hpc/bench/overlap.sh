#!/usr/bin/env bash
# overlap.sh — map_async of sleep tasks, then X s of master-side work, then get(): the time
# against max(X, map time) and X + map time. Builds hpc/bench/overlap/ (a program on rankpool's
# library) against an install of build/release into build/bench-overlap/ unless OVERLAP_BIN is set.
#   hpc/bench/overlap.sh [--quick] [--tasks N] [--seconds S] [--busy X1,X2] [--repeat R]
# Markdown on stdout, progress on stderr. Default ~30 s on 2 cores (+ the first build); --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python overlap.py "$@"
