#!/usr/bin/env bash
# The pool library builds on MPI and Boost alone: configures the `library` preset with every
# package the command needs hidden from CMake (find_package of CURL, nlohmann_json, CLI11,
# simdjson and GTest disabled; pkg-config, which finds GMP, cpp-httplib and libdeflate, disabled
# and pointed at an empty folder), builds and installs it, checks that nothing of the command
# came along, then builds tests/e2e/consumer (a C++-only project: find_package(rankpool))
# against that install and runs its two programs on 3 ranks. CI runs it (.ci/run).
# Usage: tests/e2e/library_only_build.sh [WORK_DIR]   (default: a temporary folder, removed after)
set -euo pipefail
source=$(cd "$(dirname "$0")/../.." && pwd)
cd "$source"
source hpc/env.sh
if (($# > 0)); then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
fail() { echo "library_only_build: FAIL: $*" >&2; exit 1; }

mkdir -p "$work/no-pkgconfig"
hidden=(CURL nlohmann_json CLI11 simdjson GTest PkgConfig)
flags=()
for package in "${hidden[@]}"; do flags+=("-DCMAKE_DISABLE_FIND_PACKAGE_$package=ON"); done
echo "== configure the library preset, hiding: ${hidden[*]} (and GMP, cpp-httplib, libdeflate behind pkg-config)"
PKG_CONFIG_LIBDIR="$work/no-pkgconfig" PKG_CONFIG_PATH="" \
  cmake --preset library --no-warn-unused-cli -B "$work/build" -DCMAKE_INSTALL_PREFIX="$work/prefix" "${flags[@]}" > "$work/configure.log" ||
  { cat "$work/configure.log"; fail "the library preset does not configure without the command's packages"; }
echo "== build and install"
cmake --build "$work/build" -j "${RANKPOOL_BUILD_JOBS:-2}" > "$work/build.log" || { tail -40 "$work/build.log"; fail "build"; }
cmake --install "$work/build" > "$work/install.log"

[[ -f "$work/prefix/lib/cmake/rankpool/rankpoolConfig.cmake" ]] || fail "no rankpoolConfig.cmake in the install"
[[ ! -e "$work/prefix/bin/rankpool" ]] || fail "the command was installed by the library-only build"
for library in curl gmp deflate; do
  if grep -rqi "lib$library" "$work/build/build.ninja"; then fail "the build links lib$library"; fi
done

echo "== build tests/e2e/consumer against the install"
cmake -S tests/e2e/consumer -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DRANKPOOL_EXAMPLE="$source/examples/primes.cpp" -DRANKPOOL_CONTRACT="$source/examples/contract.cpp" \
  > "$work/consumer-configure.log" || { cat "$work/consumer-configure.log"; fail "the consumer does not configure"; }
cmake --build "$work/consumer" > "$work/consumer-build.log" || { tail -40 "$work/consumer-build.log"; fail "consumer build"; }
out=$(mpirun --oversubscribe -np 3 "$work/consumer/primes")
grep -q "primes below 1000000: 78498" <<< "$out" || fail "primes printed: $out"
out=$(mpirun --oversubscribe -np 3 "$work/consumer/contract")
grep -qx "lengths 123 five 5 four 4 total 6 norms 10 26" <<< "$out" || fail "contract printed: $out"
echo "library_only_build: PASS (library on MPI and Boost alone; the consumer built and ran on 3 ranks)"
