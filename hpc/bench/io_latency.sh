#!/usr/bin/env bash
# io_latency.sh — the reposts crawl (one post, 10 pages) against rankpool mock-weibo at 800 ms:
# pool sizes 1,2,4,9 on mpirun -np 10 --pool K vs the latency bound (1 + ceil(9/K)) request times;
# seed_pool.py (Pool) and mpi4py.futures against the same server; --inflight rows when supported.
#   hpc/bench/io_latency.sh [--quick] [--latency-ms 800] [--pools 1,2,4,9] [--variants V,...] [--no-peers]
# Markdown on stdout, progress on stderr. Default ~2 min on 2 cores; --quick (200 ms) < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python io_latency.py "$@"
