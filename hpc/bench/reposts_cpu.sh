#!/usr/bin/env bash
# reposts_cpu.sh — the reposts client's CPU per 200-repost page (rankpool reposts --variant serial, no mpirun,
# against rankpool mock-weibo at 0 ms: 10 posts x 10 pages) beside Python's urllib + json.loads + json.dumps on
# the same pages, and the embedded server's pages per second (keep-alive load clients; server pinned to one CPU
# with taskset when there are two). Targets: rankpool <= 1 ms per page, server >= 2000 pages/s.
#   hpc/bench/reposts_cpu.sh [--quick] [--repeat N] [--posts N] [--requests N] [--clients 1,2]
# Markdown on stdout, progress on stderr. Default ~1 min on 2 cores; --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python reposts_cpu.py "$@"
