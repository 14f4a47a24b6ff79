#!/usr/bin/env bash
# sixteen_cores.sh — the one run for a machine with >= 16 cores (a lent one reaches no package
# registry): task grain at 16 ranks under each wait policy, with and without rank 0 working,
# beside Python's Pool(16) (mpi4py's columns stay empty where it is missing), and the master's cost
# per task up to 128 ranks. ~8 min on 16 cores.
#   here:  hpc/bench/sixteen_cores.sh --pack      # build/device/: the binary and the libraries it needs
#   there: hpc/bench/sixteen_cores.sh > sixteen.md   # from the repository root, build/device/ beside
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
device=$root/build/device
if [[ ${1:-} == --pack ]]; then
  binary=$root/build/release/src/cli/rankpool
  [[ -x $binary ]] || { echo "rankpool: error: $binary is missing: build the release preset first" >&2; exit 1; }
  rm -rf "$device" && mkdir -p "$device/lib"
  strip --strip-debug -o "$device/rankpool" "$binary"  # the device's carry holds 64 MiB in all
  # Every shared library but the C runtime and Open MPI's own (the other machine has Open MPI 4.1).
  ldd "$binary" | awk '/=> \// {print $3}' |
    grep -v -E '/(libc|libm|libdl|librt|libpthread|libresolv|libudev|ld-linux[^/]*|libgcc_s|libstdc\+\+|libmpi|libopen-[a-z]+|libhwloc|libevent[^/]*|libpmix)\.so' |
    xargs -r -I{} cp -L {} "$device/lib/"
  du -sh "$device" | awk '{print "sixteen_cores: packed " $1 " into build/device/"}' >&2
  exit 0
fi
[[ -x $device/rankpool ]] || { echo "rankpool: error: $device/rankpool is missing: run with --pack first" >&2; exit 1; }
export LD_LIBRARY_PATH=$device/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} RANKPOOL_BIN=$device/rankpool
"$root/hpc/bench/grain.sh" --np 16 --scale 4 --grains 0.1,0.5 --repeat 1 --wait default,backoff
"$root/hpc/bench/grain.sh" --np 16 --scale 4 --grains 0.1,0.5 --repeat 1 --master-works --no-peers
"$root/hpc/bench/master_scale.sh" --sizes 16,128 --repeat 1 --variants apply_async,imap_unordered
