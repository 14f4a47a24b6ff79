#!/usr/bin/env bash
# Installs rankpool from BUILD_DIR into a temporary prefix, builds the README's
# example and the typed-argument contract program as another (C++-only)
# project would (find_package(rankpool)), and runs them at 1, 3 and 5 ranks.
# usage: install_consumer_test.sh BUILD_DIR SOURCE_DIR MPIEXEC
set -euo pipefail
build=$1 source=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
if find "$work/prefix/include" -name '*.cpp' | grep -q .; then
  echo "FAIL: the install put .cpp files under include/"; exit 1
fi
cmake -S "$source/tests/e2e/consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DRANKPOOL_EXAMPLE="$source/examples/primes.cpp" -DRANKPOOL_CONTRACT="$source/examples/contract.cpp" \
  > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
out=$("$mpiexec" --oversubscribe -np 3 "$work/build/primes")
echo "$out"
grep -q "primes below 1000000: 78498" <<< "$out"
for np in 1 3 5; do
  out=$("$mpiexec" --oversubscribe -np $np "$work/build/contract")
  echo "np $np: $out"
  grep -qx "lengths 123 five 5 four 4 total 6 norms 10 26" <<< "$out"
  out=$("$mpiexec" --oversubscribe -np $np "$work/build/contract" lazy)
  echo "np $np: $out"
  grep -qx "lazy total: 12888890" <<< "$out"
done
