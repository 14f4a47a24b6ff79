#!/usr/bin/env bash
# From a fresh Debian 12 machine to results: installs what is missing (apt),
# builds, runs the factorial job and the reposts job on local ranks (the
# reposts against the embedded Weibo API server), then compares every variant
# on both experiments, seed-style. It takes about 8 minutes on 2 cores: measured
# 8.5 min on a 2-core Debian 12 VM (shared with other work), 7.5 of them
# compiling (the build shows its progress), 1 running; plus apt's downloads on
# a fresh machine. With the build already there, about a minute.
# Usage: hpc/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
echo "== installing what is missing (apt; nothing when all is there)"
hpc/setup.sh
source hpc/env.sh
echo "== configuring (cmake --preset release)"
cmake --preset release >/dev/null
echo "== building: [done/total steps, seconds so far] and the file being compiled"
# Ninja prints each step as it starts; on a terminal it redraws one line in place.
NINJA_STATUS="[%f/%t %es] " cmake --build --preset release
echo "== built in $(( SECONDS - started )) s"
bin=build/release/src/cli/rankpool
ranks=$(( $(nproc) + 1 ))   # a master and one worker per core

echo "== factorial: n! for n = 1..20 on $ranks ranks (rank 0 is the master)"
mpirun -np "$ranks" "$bin" factorial --upto 20 --variant map --out -
echo
echo "== factorial: n = 1..100, which rank ran which task (the seed's pid view)"
mpirun -np "$ranks" "$bin" factorial --upto 100 --variant apply_async --trace --out /dev/null 2> trace.log
head -8 trace.log && echo "… ($(grep -c finish trace.log) tasks)" && rm -f trace.log

echo
echo "== the embedded Weibo API: 2500 reposts, the newest 2000 reachable, 150 ms a request"
"$bin" mock-weibo --port 0 --latency-ms 150 > /tmp/rankpool-quickstart-mock.$$ &
mock=$!
trap 'kill $mock 2>/dev/null || true; rm -f /tmp/rankpool-quickstart-mock.$$ reposts.jsonl' EXIT
for _ in $(seq 50); do [[ -s /tmp/rankpool-quickstart-mock.$$ ]] && break; sleep 0.1; done
api=$(head -1 /tmp/rankpool-quickstart-mock.$$)
export WEIBO_ACCESS_TOKEN=quickstart-demo-token
echo "== reposts: every repost of one post, pages as tasks"
mpirun -np "$ranks" "$bin" reposts --mid 3664072912104801 --api-base "$api" --variant apply_async --out reposts.jsonl
echo "reposts.jsonl: $(wc -l < reposts.jsonl) reposts, e.g. $(head -c 120 reposts.jsonl)…"

echo
echo "== experiment 1, factorials 1..100: every variant (best of 3), the seed's figures beside"
mpirun -np "$ranks" "$bin" compare factorial --upto 100
echo
echo "== experiment 2, reposts: every variant at pool sizes 1, 2, 4, 10 (11 ranks on $(nproc) cores: I/O waits)"
mpirun --oversubscribe -np 11 "$bin" compare reposts --mid 3664072912104801 --api-base "$api" --pools 1,2,4,10 --repeat 2
echo
echo "== quickstart done in $(( SECONDS - started )) s"
