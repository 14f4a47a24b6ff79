#!/usr/bin/env bash
# Typed arguments: imap_unordered over 2,000,000 strings made on demand
# (std::views::iota | std::views::transform) on 3 ranks; prints the master's
# peak RSS, which must stay under 64 MB however long the range is.
# usage: hpc/bench/lazy_args.sh   (after cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/../.."
source hpc/env.sh
bin=${RANKPOOL_CONTRACT_BIN:-build/release/examples/example_contract}
for np in 1 3; do
  out=$(mpirun --bind-to none -np $np "$bin" lazy 2>&1)
  rss=$(sed -n 's/^master peak RSS: \([0-9]*\) MiB/\1/p' <<< "$out")
  total=$(sed -n 's/^lazy total: //p' <<< "$out")
  verdict=$([[ $rss -lt 64 ]] && echo "under 64 MB" || echo "OVER 64 MB")
  echo "np $np: 2,000,000 lazy string arguments, total $total, master peak RSS $rss MiB ($verdict)"
done
