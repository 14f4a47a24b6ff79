#!/usr/bin/env bash
# Checks that the C++ under src/ jobs/ tests/ examples/ follows .clang-format; changes nothing.
# Prints each file that would change with clang-format's own warnings, and exits 1 when any would.
# Usage: hpc/check_format.sh [clang-format binary]   (default: clang-format, or $CLANG_FORMAT)
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${1:-${CLANG_FORMAT:-clang-format}}
mapfile -t files < <(git ls-files -- 'src/*.cpp' 'src/*.hpp' 'jobs/*.cpp' 'jobs/*.hpp' \
  'tests/*.cpp' 'tests/*.hpp' 'examples/*.cpp' 'examples/*.hpp')
failed=0
for file in "${files[@]}"; do
  "$clang_format" --dry-run -Werror --style=file "$file" || failed=$((failed + 1))
done
if ((failed > 0)); then
  echo "check_format: $failed of ${#files[@]} files do not follow .clang-format (run: clang-format -i FILE)" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files follow .clang-format"
