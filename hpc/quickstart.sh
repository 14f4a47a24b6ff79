#!/usr/bin/env bash
# From a fresh Debian 12 machine to results: installs what is missing, builds,
# and runs the factorial job on local ranks (master + one worker per core).
# Usage: hpc/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
hpc/setup.sh
source hpc/env.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
bin=build/release/src/cli/rankpool
ranks=$(( $(nproc) + 1 ))

echo "== factorial: n! for n = 1..20 on $ranks ranks (rank 0 is the master)"
mpirun -np "$ranks" "$bin" factorial --upto 20 --variant map --out -
echo "== factorial: n = 1..2000, every task traced to its rank"
mpirun -np "$ranks" "$bin" factorial --upto 2000 --variant imap_unordered --chunksize 100 --json
