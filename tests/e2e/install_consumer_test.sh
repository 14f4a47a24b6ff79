#!/usr/bin/env bash
# Installs rankpool from BUILD_DIR into a temporary prefix, builds the README's
# example as another project would (find_package(rankpool)), and runs it.
# usage: install_consumer_test.sh BUILD_DIR SOURCE_DIR MPIEXEC
set -euo pipefail
build=$1 source=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$source/tests/e2e/consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DRANKPOOL_EXAMPLE="$source/examples/primes.cpp" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
out=$("$mpiexec" --oversubscribe -np 3 "$work/build/primes")
echo "$out"
grep -q "primes below 1000000: 78498" <<< "$out"
