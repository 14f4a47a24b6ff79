#!/bin/bash
# pbs_dry_run.sh - runs the PBS scripts of hpc/pbs/ without a PBS server: a
# syntax check of each, then each job for real on this machine under a faked
# PBS environment (PBS_NODEFILE with 3 localhost lines, PBS_O_WORKDIR,
# PBS_JOBID), 3 ranks with --oversubscribe, and a check of what it wrote.
#
#   tests/e2e/slurm/pbs_dry_run.sh            (about 5 s)
#
# Cases (each PASS, FAIL or SKIPPED; exit 1 on any FAIL):
#   syntax            bash -n of every script under hpc/pbs, hpc/slurm and hpc/launch_local.sh
#   factorial.pbs     default output name factorial-n1-r3-<jobid>.tsv, exact n! for n = 1..500
#   reposts.pbs       its own mock-weibo, 2000 unique repost ids  (SKIPPED without 'reposts')
#   compare.pbs       factorial table with every variant           (SKIPPED without 'compare')
#   exec.pbs          100 commands, one row each in task order, run on the workers with
#                     their RANKPOOL_* variables and no OMPI_*/PMIX_* (SKIPPED without 'exec');
#                     RANKPOOL_BIN unset and rankpool off PATH: the script finds build/release
#   launch_local.sh   the laptop launcher, 3 ranks, exact n! for n = 1..300
#
# Environment: RANKPOOL_BIN [newer of build/release/src/cli/rankpool and build/src/cli/rankpool],
# KEEP_WORKDIR=1 keeps the temp dir.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
readonly here repo
started_at=$SECONDS
failures=0
results=()

say() { printf '[pbs-dry-run %3ds] %s\n' $((SECONDS - started_at)) "$*"; }
record() { # name verdict detail
  results+=("$(printf '%-16s %-8s %s' "$1" "$2" "$3")")
  say "$1: $2 $3"
  [[ $2 != FAIL ]] || failures=$((failures + 1))
}

# shellcheck source=tests/e2e/rankpool_bin.sh
source "$repo/tests/e2e/rankpool_bin.sh"
bin=$(rankpool_bin "$repo")
[[ -n $bin && -x $bin ]] || { say "ERROR: no rankpool binary at '$bin': build it (cmake --preset release && cmake --build --preset release) or set RANKPOOL_BIN"; exit 2; }
command -v mpirun >/dev/null || { say "ERROR: mpirun not found"; exit 2; }

work=$(mktemp -d /tmp/rankpool-pbs-dry-run.XXXXXX) || exit 2
cleanup() {
  local rc=$?
  if ((rc == 0)) && [[ ${KEEP_WORKDIR:-0} != 1 ]]; then rm -rf "$work"; else say "kept $work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A copy of the binary: others may rebuild it while we run.
cp "$bin" "$work/rankpool"
bin=$work/rankpool

# --- syntax --------------------------------------------------------------------
bad=()
for script in "$repo"/hpc/pbs/*.pbs "$repo"/hpc/slurm/*.sbatch "$repo"/hpc/launch_local.sh; do
  [[ -f $script ]] || continue
  bash -n "$script" 2>"$work/syntax.err" || bad+=("${script#"$repo"/}: $(head -n 1 "$work/syntax.err")")
done
if ((${#bad[@]})); then record syntax FAIL "${bad[*]}"; else record syntax PASS "bash -n clean"; fi

# --- the faked PBS job environment ----------------------------------------------
jobid=4242
printf 'localhost\n%.0s' 1 2 3 >"$work/nodefile"
export PBS_NODEFILE=$work/nodefile PBS_O_WORKDIR=$work PBS_JOBID=$jobid.dryrun-server
PBS_O_HOST=$(hostname -s)
export PBS_ENVIRONMENT=PBS_BATCH PBS_O_HOST PBS_QUEUE=dryrun
export RANKPOOL_BIN=$bin MPIRUN_FLAGS=--oversubscribe
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The help is read whole first: grep -q stopping early would SIGPIPE the binary (pipefail).
bin_help=$("$bin" --help 2>/dev/null)
has_subcommand() { grep -Eq "^ +$1( |$)" <<<"$bin_help"; }

# run_job SCRIPT LIMIT_S VAR=VALUE... : runs it as PBS would (from another
# directory: the script must cd to PBS_O_WORKDIR itself), log as -j oe names it.
run_job() {
  local script=$1 limit=$2 name
  shift 2
  name=rankpool-${script%.pbs}
  (cd / && env "$@" PBS_JOBNAME="$name" timeout "$limit" bash "$repo/hpc/pbs/$script") \
    >"$work/$name.o$jobid" 2>&1
}

# finish NAME RC CHECK... : verdict from the exit status and the check's output.
finish() {
  local name=$1 rc=$2 out log=$work/rankpool-${1%.pbs}.o$jobid
  shift 2
  if ((rc != 0)); then
    record "$name" FAIL "exit $rc$( ((rc == 124)) && echo ' (timed out)')"
    tail -n 20 "$log" | sed 's/^/    /'
  elif out=$("$@" 2>&1); then
    record "$name" PASS "${out#check_output: ok }"
  else
    record "$name" FAIL "$out"
    tail -n 20 "$log" | sed 's/^/    /'
  fi
}

run_job factorial.pbs 60 UPTO=500 VARIANT=imap
finish factorial.pbs $? python3 "$here/check_output.py" factorial "$work/factorial-n1-r3-$jobid.tsv" --upto 500

if has_subcommand reposts && has_subcommand mock-weibo; then
  run_job reposts.pbs 90 -u API_BASE -u WEIBO_ACCESS_TOKEN -u WEIBO_TOKEN_FILE \
    MOCK_LATENCY_MS=20 MOCK_TOTAL=2500 MOCK_REACHABLE=2000
  finish reposts.pbs $? python3 "$here/check_output.py" reposts "$work/reposts-n1-r3-$jobid.jsonl" --unique 2000
else
  record reposts.pbs SKIPPED "this rankpool has no 'reposts'/'mock-weibo' subcommand yet (rerun once it lands)"
fi

if has_subcommand compare; then
  run_job compare.pbs 90 COMPARE_JOB=factorial UPTO=300
  finish compare.pbs $? bash -c "grep -q apply_async '$work/rankpool-compare.o$jobid' &&
    grep -q imap_unordered '$work/rankpool-compare.o$jobid' && echo 'table lists the variants'"
else
  record compare.pbs SKIPPED "this rankpool has no 'compare' subcommand yet (rerun once it lands)"
fi

if has_subcommand exec; then
  # The script's own default binary: PBS_O_WORKDIR/build/release/src/cli/rankpool.
  mkdir -p "$work/build/release/src/cli"
  ln -s "$bin" "$work/build/release/src/cli/rankpool"
  python3 "$here/check_output.py" exec-tasks "$work/tasks.txt" --count 100
  run_job exec.pbs 60 -u RANKPOOL_BIN PATH="$(dirname "$(command -v mpirun)"):/usr/bin:/bin" VARIANT=imap_unordered
  finish exec.pbs $? python3 "$here/check_output.py" exec "$work/exec-n1-r3-$jobid.jsonl" --tasks "$work/tasks.txt"
else
  record exec.pbs SKIPPED "this rankpool has no 'exec' subcommand yet (rerun once it lands)"
fi

# The laptop launcher needs no scheduler either: 3 ranks, whatever the core count.
(cd "$work" && timeout 60 env RANKPOOL_OVERSUBSCRIBE=1 "$repo/hpc/launch_local.sh" --np 3 \
  factorial --upto 300 --variant imap_unordered --out "$work/launch-local.tsv") >"$work/launch_local.log" 2>&1
rc=$?
if ((rc != 0)); then
  record launch_local.sh FAIL "exit $rc"
  tail -n 20 "$work/launch_local.log" | sed 's/^/    /'
elif out=$(python3 "$here/check_output.py" factorial "$work/launch-local.tsv" --upto 300 2>&1); then
  record launch_local.sh PASS "${out#check_output: ok }"
else
  record launch_local.sh FAIL "$out"
fi

echo
echo "PBS dry run (faked PBS environment, 3 ranks on localhost, $((SECONDS - started_at)) s):"
printf '  %s\n' "${results[@]}"
if ((failures)); then
  echo "FAILED: $failures case(s)"
  exit 1
fi
echo "OK"
