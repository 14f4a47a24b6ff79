# Sourced by the shell tests: which rankpool binary to test.
# rankpool_bin REPO: $RANKPOOL_BIN if set, else the newer of the release
# preset's build and a plain build/ (empty when neither exists).
rankpool_bin() {
  local found=${RANKPOOL_BIN:-} candidate
  if [[ -z $found ]]; then
    for candidate in "$1/build/release/src/cli/rankpool" "$1/build/src/cli/rankpool"; do
      [[ -x $candidate ]] || continue
      [[ -n $found && ! $candidate -nt $found ]] || found=$candidate
    done
  fi
  printf '%s\n' "$found"
}
