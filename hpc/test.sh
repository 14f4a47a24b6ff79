#!/usr/bin/env bash
# Installs what is missing (apt), builds, and runs every test: unit, MPI at
# world sizes 1, 2, 3 and 5, and end to end. Usage: hpc/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
hpc/setup.sh
source hpc/env.sh
cmake --preset release
cmake --build --preset release
ctest --preset release
