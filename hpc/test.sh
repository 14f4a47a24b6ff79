#!/usr/bin/env bash
# Installs what is missing (apt), builds, and runs every test: unit, MPI at
# world sizes 1, 2, 3 and 5, and end to end. Usage: hpc/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
hpc/setup.sh
source hpc/env.sh
cmake --preset release
echo "== building: [done/total steps, seconds so far] and the file being compiled"
# Ninja prints each step as it starts; on a terminal it redraws one line in place.
NINJA_STATUS="[%f/%t %es] " cmake --build --preset release
echo "== built in $(( SECONDS - started )) s; running the tests"
ctest --preset release
