#!/usr/bin/env bash
# reposts_inflight.sh — `--inflight K` in every variant: one post (10 pages) against rankpool mock-weibo at
# 800 ms, 2 workers (mpirun -np 3), --inflight 1 and 5 for apply_async, map and imap_unordered, serial beside.
# Target: --inflight 5 fetches the 10 pages in <= 2.2 request times in each of the three variants.
#   hpc/bench/reposts_inflight.sh [--quick] [--repeat N] [--latency-ms 800] [--inflight 5]
# Markdown on stdout, progress on stderr. Default ~1 min on 2 cores; --quick (400 ms, no serial row) < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python reposts_inflight.py "$@"
