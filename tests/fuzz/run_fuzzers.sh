#!/usr/bin/env bash
# Fuzzes rankpool's parsers of untrusted input with libFuzzer.
#
# Builds the fuzz targets with clang in their own build folder (installing
# clang-14 and libclang-rt-14-dev with apt when libFuzzer is missing), replays
# the known reproducers in tests/fuzz/regressions/<target>/, then fuzzes each
# target for FUZZ_SECONDS on a copy of tests/fuzz/corpus/<target>/ (the
# repository is never written). Prints one line per target and exits 1 when
# any target crashed, leaked, hung or broke its contract, with the reproducer.
#
# Environment:
#   FUZZ_SECONDS     seconds of fuzzing per target (default 60; 0 only replays)
#   FUZZ_TARGETS     targets to run, space-separated (default: all six)
#   FUZZ_BUILD_DIR   build folder (default build/fuzz)
#   FUZZ_OUT         logs and reproducers (default FUZZ_BUILD_DIR/findings/DATE)
#   FUZZ_BUILD_JOBS  parallel compile jobs (default 2)
#
# Six targets at 60 s take about 7 minutes on 2 cores, build included.
# Reproduce a finding:  build/fuzz/tests/fuzz/fuzz_journal path/to/crash-...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"fuzz_number_list fuzz_post_id fuzz_mids_file fuzz_api_base fuzz_repost_page fuzz_journal"}
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
out=${FUZZ_OUT:-$build/findings/$(date +%Y%m%d-%H%M%S)}
jobs=${FUZZ_BUILD_JOBS:-2}

if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "run_fuzzers.sh: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rankpool-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/tmp"
started=$SECONDS

# --- clang with libFuzzer -------------------------------------------------------
pick_compilers() {
  if command -v clang++-14 >/dev/null && command -v clang-14 >/dev/null; then
    cc=clang-14 cxx=clang++-14
  else
    cc=clang cxx=clang++
  fi
}
has_libfuzzer() {
  command -v "$cxx" >/dev/null &&
    printf 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }\n' |
      "$cxx" -fsanitize=fuzzer,address,undefined -x c++ - -o "$work/probe" 2>/dev/null
}
pick_compilers
if ! has_libfuzzer; then
  echo "run_fuzzers.sh: no clang with libFuzzer; installing clang-14 libclang-rt-14-dev"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
  pick_compilers
  has_libfuzzer || { echo "run_fuzzers.sh: $cxx still cannot link -fsanitize=fuzzer" >&2; exit 2; }
fi

# --- build ------------------------------------------------------------------------
echo "run_fuzzers.sh: building the fuzz targets in $build with $cxx"
if ! { CC=$cc CXX=$cxx cmake -S "$root" -B "$build" -G Ninja -DRANKPOOL_FUZZ=ON \
         -DRANKPOOL_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build "$build" --target rankpool_fuzzers -j "$jobs"; } >"$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2
  echo "run_fuzzers.sh: build failed, log in $out/build.log" >&2
  exit 2
fi
echo "run_fuzzers.sh: built in $((SECONDS - started)) s; ${seconds} s per target; logs in $out"

# --- run --------------------------------------------------------------------------
# Set here, not inherited: CI exports detect_leaks=0 for MPI, and a leak in a
# parser is a finding.
export ASAN_OPTIONS="detect_leaks=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TMPDIR="$work/tmp"

# The first line that says what went wrong in a libFuzzer log.
cause_of() {
  grep -a -m1 -E 'contract broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$1" |
    sed -E 's/^[= 0-9]*//' | cut -c1-200 | cat -v
}

# One line per target; a failing target's findings follow it, indented.
failed=0
for target in $targets; do
  bin=$build/tests/fuzz/$target
  if [[ ! -x $bin ]]; then
    echo "FAIL $target: no such fuzz target"
    failed=1
    continue
  fi
  mkdir -p "$out/$target" "$work/corpus/$target"
  options=(-timeout=5 -rss_limit_mb=2048 -artifact_prefix="$out/$target/")
  [[ -f $here/dict/$target.dict ]] && options+=(-dict="$here/dict/$target.dict")
  t0=$SECONDS
  findings=()

  # Known reproducers first: each must now be handled cleanly.
  regressions=()
  if [[ -d $here/regressions/$target ]]; then
    mapfile -t regressions < <(find "$here/regressions/$target" -type f | sort)
  fi
  for input in "${regressions[@]}"; do
    log=$out/$target/regression-$(basename "$input").log
    if ! timeout -k 5 60 "$bin" "${options[@]}" "$input" >"$log" 2>&1; then
      findings+=("regression $(basename "$input"): $(cause_of "$log")"
                 "  reproducer: $input" "  log: $log")
    fi
  done

  cp -R "$here/corpus/$target/." "$work/corpus/$target/"
  seeds=$(find "$work/corpus/$target" -type f | wc -l)
  log=$out/$target/fuzz.log
  if ((seconds > 0)); then
    mode=(-max_total_time="$seconds" -print_final_stats=1)
  else
    mode=(-runs=0)
  fi
  set +e
  timeout -k 10 $((seconds + 60)) "$bin" "${options[@]}" "${mode[@]}" "$work/corpus/$target" >"$log" 2>&1
  rc=$?
  set -e
  if ((rc == 124 || rc == 137)); then
    findings+=("fuzzing: did not stop within $((seconds + 60)) s" "  log: $log")
  elif ((rc != 0)); then
    reproducer=$(grep -a -oE '(Test unit|artifact) written to [^ ]+' "$log" | tail -n1 | awk '{print $NF}' || true)
    findings+=("fuzzing: $(cause_of "$log")" "  reproducer: ${reproducer:-none written}" "  log: $log")
  fi
  runs=$(grep -a -oE 'number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  grown=$(find "$work/corpus/$target" -type f | wc -l)
  summary=$(printf '%4d s  %9s runs  corpus %d -> %d' $((SECONDS - t0)) "${runs:-?}" "$seeds" "$grown")
  if ((${#findings[@]} == 0)); then
    printf 'PASS %-17s %s\n' "$target" "$summary"
  else
    failed=1
    printf 'FAIL %-17s %s  %d finding(s):\n' "$target" "$summary" \
      "$(printf '%s\n' "${findings[@]}" | grep -cvE '^  ')"
    printf '       %s\n' "${findings[@]}"
  fi
done

echo "run_fuzzers.sh: $( ((failed)) && echo FAILED || echo passed) in $((SECONDS - started)) s"
exit "$failed"
