#!/usr/bin/env bash
# per_task.sh — factorial task cost: rankpool --variant serial vs GMP mpz_fac_ui alone (a C
# program compiled here with cc -O2 -lgmp; target <= 1.1x), cpp_int vs gmp at n = 100000,
# and the wire size of results vs their binary size.
#   hpc/bench/per_task.sh [--quick] [--numbers A-B] [--big-n N] [--repeat R] [--wait-quiet LOAD]
# Markdown on stdout, progress on stderr. Default ~1.5 min on 2 cores; --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python per_task.py "$@"
