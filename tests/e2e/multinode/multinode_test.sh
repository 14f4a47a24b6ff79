#!/bin/bash
# multinode_test.sh - rankpool across 3 nodes stood up on this one machine
# (network namespaces on a bridge, a hostname each; see nodes.sh), launched by
# mpirun on node0 through rsh_agent.sh as if over ssh. Checks what it did,
# tears the nodes down.
#
#   tests/e2e/multinode/multinode_test.sh        (as root; about 45-90 s)
#
# Cases (each PASS, FAIL or SKIPPED; exit 1 on any FAIL, 2 when the nodes
# cannot be set up):
#   tuning-one-node     3 ranks all on node0: the single-node start-up tuning
#                       picks pml ob1 (the control that shows the check sees it)
#   factorial-VARIANT   every variant, 6 ranks, 2 per node: n! for n = 1..1000
#                       exact (Python's math.factorial), tasks ran on every node
#                       (--trace names each rank's host, --json counts its
#                       tasks), and the tuning stayed off (pml left to Open MPI)
#   reposts-VARIANT     every variant against `rankpool mock-weibo` listening on
#                       node0's bridge address: the 2000 ids, in order, once;
#                       tasks on every node
#   exec-VARIANT        every variant of `rankpool exec` over 60 commands, 2
#                       exiting 3: exit 1, a right row for each command once
#                       (exit, task index printed), rows from every node, the
#                       row's host = the hostname the command printed
#   kill-remote-worker  a worker on node2 killed with SIGKILL mid-run: the run
#                       ends within 10 s, non-zero, no rankpool left on any node
#   teardown            the nodes' namespaces are gone
# A case whose subcommand the binary lacks is SKIPPED, and says so. Whether
# the tuning chose ob1 is read from rank 0's own listing of the MCA parameters
# it found in its environment (mpirun --mca mpi_show_mca_params enviro).
#
# Environment:
#   RANKPOOL_BIN   binary to test [newer of build/release/src/cli/rankpool and
#                  build/src/cli/rankpool]; copied, so rebuilds don't race us
#   KEEP_WORKDIR=1 keep the temp dir (hostfile, every run's stdout/stderr,
#                  outputs) also on success; on a failure it is always kept
#   NODES_SUBNET   first three octets of the nodes' /24 [10.213.0]; the bridge
#                  lives in a namespace of its own, so it never meets the host's
#
# Needs root (ip netns, unshare), iproute2, util-linux, Open MPI, python3.
# Every command is bounded by `timeout`; the nodes, and whatever still runs on
# them, are removed on any exit (trap EXIT); nodes left by a run that was
# SIGKILLed are removed by the next run.

# shellcheck disable=SC2317  # teardown runs from the EXIT trap
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
readonly here repo
readonly nodes=3
readonly variants=(serial apply apply_async map map_async imap imap_unordered)
readonly upto=1000
started_at=$SECONDS

say() { printf '[multinode %3ds] %s\n' $((SECONDS - started_at)) "$*"; }
fatal() { say "ERROR: $*"; exit 2; }

[[ $EUID -eq 0 ]] || fatal "run as root: ip netns and unshare need it"
for tool in ip unshare mpirun python3 timeout awk; do
  PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || fatal "$tool not found (apt-get install iproute2 util-linux openmpi-bin python3)"
done
export PATH=$PATH:/usr/sbin

# shellcheck source=tests/e2e/rankpool_bin.sh
source "$repo/tests/e2e/rankpool_bin.sh"
src_bin=$(rankpool_bin "$repo")
[[ -n $src_bin && -x $src_bin ]] || fatal "no rankpool binary at '$src_bin': build it (cmake --preset release && cmake --build --preset release) or set RANKPOOL_BIN"

# shellcheck source=hpc/env.sh
source "$repo/hpc/env.sh"
# shellcheck source=tests/e2e/multinode/nodes.sh
source "$here/nodes.sh"

work=$(mktemp -d /tmp/rankpool-multinode.XXXXXX) || fatal "mktemp failed"
results=()
failed=0

teardown() {
  local status=$?
  trap '' TERM INT HUP
  nodes_down
  if [[ ${KEEP_WORKDIR:-0} == 1 || $failed -ne 0 || $status -ne 0 ]]; then
    say "kept $work"
  else
    rm -rf "$work"
  fi
}
trap teardown EXIT
# timeout(1) signals this shell, then its whole process group: the second
# SIGTERM must not cut the teardown short, so the first one ignores the rest.
trap 'trap "" TERM INT HUP; exit 143' TERM INT HUP

pass() { results+=("PASS     $1"); say "PASS $1${2:+: $2}"; }
skip() { results+=("SKIPPED  $1"); say "SKIPPED $1: $2"; }
fail() {
  results+=("FAIL     $1")
  failed=1
  say "FAIL $1: $2"
  [[ -z ${3:-} || ! -s ${3:-} ]] || grep -v '^\[trace\]' "$3" | tail -n 15 | sed 's/^/    /'
}

bin=$work/rankpool
cp "$src_bin" "$bin" || fatal "cannot copy $src_bin"
has_command() { timeout 20 "$bin" "$1" --help >/dev/null 2>&1; }

say "binary $src_bin; standing up $nodes nodes on $NODES_SUBNET.0/24 in $work"
nodes_up rpmn "$nodes" "$work" || fatal "could not set up the nodes (ip netns / veth / bridge)"
hosts=()
for ((i = 0; i < nodes; i++)); do hosts+=("node$i"); done
head0=$(node_address 0)

# on_nodes NAME LIMIT MPIRUN-ARGS...: mpirun on node0 over the nodes, within
# LIMIT seconds; its stdout and stderr to $work/NAME.out / .err, each rank's
# own to $work/NAME.ranks/ (whole lines, for the checks); returns its status.
on_nodes() {
  local name=$1
  # In the background so that a SIGTERM to this script is handled at once
  # (bash runs traps only between commands, and wait is interruptible).
  NODES_LIMIT=$2 nodes_mpirun --output-filename "$work/$name.ranks" "${@:3}" \
    >"$work/$name.out" 2>"$work/$name.err" &
  wait $!
}

# judge NAME CHECK-ARGS... [-- CHECK-ARGS...]: check_multinode.py once per
# group of arguments; PASS NAME with what they printed, or FAIL with why.
judge() {
  local name=$1 verdict all="" ok=1 args
  shift
  while (($#)); do
    args=()
    while (($#)) && [[ $1 != -- ]]; do args+=("$1"); shift; done
    (($#)) && shift
    verdict=$(timeout 60 python3 "$here/check_multinode.py" "${args[@]}" 2>&1) || ok=0
    all+="${all:+; }$verdict"
  done
  if ((ok)); then pass "$name" "$all"; else fail "$name" "$all" "$work/$name.err"; fi
}

# --- the tuning, seen on one node: the control ------------------------------------
# All 3 ranks on node0: rankpool picks pml ob1, and rank 0's listing shows it.
name=tuning-one-node
if on_nodes "$name" 60 --host "$head0:3" -np 3 --mca mpi_show_mca_params enviro \
  "$bin" factorial --upto 100 --variant map --json --trace --out "$work/$name.txt"; then
  judge "$name" factorial map 100 "$work/$name.txt" "$work/$name.ranks" node0 -- tuning on "$work/$name.ranks"
else
  fail "$name" "mpirun exited $?" "$work/$name.err"
fi

# --- every variant of factorial across the nodes ----------------------------------
for variant in "${variants[@]}"; do
  name=factorial-$variant
  if on_nodes "$name" 90 -np $((2 * nodes)) --mca mpi_show_mca_params enviro \
    "$bin" factorial --upto "$upto" --variant "$variant" --json --trace --out "$work/$name.txt"; then
    judge "$name" factorial "$variant" "$upto" "$work/$name.txt" "$work/$name.ranks" "${hosts[@]}" \
      -- tuning off "$work/$name.ranks"
  else
    fail "$name" "mpirun exited $?" "$work/$name.err"
  fi
done

# --- the reposts job against a server on the bridge -------------------------------
if ! has_command reposts; then
  skip reposts "this rankpool has no reposts subcommand (built without RANKPOOL_WITH_REPOSTS)"
else
  NODES_LIMIT=300 node_spawn 0 "$bin" mock-weibo --host "$head0" --port 0 --latency-ms 20 \
    >"$work/mock.out" 2>"$work/mock.err"
  mock_pid=$!
  url=
  for ((tries = 0; tries < 200 && ${#url} == 0; tries++)); do  # up to 20 s for its first line
    sleep 0.1
    url=$(head -n 1 "$work/mock.out")
  done
  if [[ $url != http://$head0:* ]]; then
    fail reposts "mock-weibo did not start on $head0: '$url'" "$work/mock.err"
  else
    say "mock-weibo on node0 at $url"
    # Over "ssh" the environment is fresh: the token travels with -x, as on a cluster.
    export WEIBO_ACCESS_TOKEN=multinode-test-token
    for variant in "${variants[@]}"; do
      name=reposts-$variant
      if on_nodes "$name" 90 -np $((2 * nodes)) -x WEIBO_ACCESS_TOKEN "$bin" reposts --mid 3664072912104801 \
        --api-base "$url" --variant "$variant" --json --trace --out "$work/$name.jsonl"; then
        judge "$name" reposts "$variant" "$work/$name.jsonl" "$work/$name.ranks" "${hosts[@]}"
      else
        fail "$name" "mpirun exited $?" "$work/$name.err"
      fi
    done
  fi
  kill -TERM "$mock_pid" 2>/dev/null
  timeout 10 tail --pid="$mock_pid" -f /dev/null || fail mock-weibo "did not stop within 10 s of SIGTERM"
fi

# --- exec across the nodes ----------------------------------------------------------
# Every variant of `rankpool exec` over 60 commands, 2 of them `exit 3`: each
# prints its task index, hostname, RANKPOOL_HOST and RANKPOOL_RANK (the short
# sleep keeps every worker busy enough to get some). The run exits 1 for the
# two failures; the rows must be right and come from every node.
case_exec() {
  if ! has_command exec; then
    skip exec "this rankpool has no exec subcommand"
    return
  fi
  local tasks=$work/exec-tasks.txt variant name status t
  {
    echo "# multinode_test.sh: one command per line; 17 and 42 fail"
    echo
    for ((t = 0; t < 60; t++)); do
      # shellcheck disable=SC2016  # expanded by the command's sh, on its node
      printf '%s' 'sleep 0.02; echo "$RANKPOOL_TASK $(hostname) $RANKPOOL_HOST $RANKPOOL_RANK"'
      if ((t == 17 || t == 42)); then echo '; exit 3'; else echo; fi
    done
  } >"$tasks"
  for variant in "${variants[@]}"; do
    name=exec-$variant
    on_nodes "$name" 90 -np $((2 * nodes)) "$bin" exec --tasks "$tasks" --variant "$variant" \
      --json --trace --out "$work/$name.jsonl"
    status=$?
    if ((status == 1)); then
      judge "$name" exec "$variant" "$tasks" "$work/$name.jsonl" "$work/$name.ranks" "${hosts[@]}"
    else
      fail "$name" "mpirun exited $status, not 1 (2 commands exit 3)" "$work/$name.err"
    fi
  done
}
case_exec

# --- a worker killed on a remote node ---------------------------------------------
# rankpool sleep: 2000 tasks of 50 ms on 5 workers, 20 s if nothing goes wrong.
name=kill-remote-worker
if ! has_command sleep; then
  skip "$name" "this rankpool has no sleep subcommand"
else
  launched_at=$SECONDS
  on_nodes "$name" 60 -np $((2 * nodes)) "$bin" sleep --tasks 2000 --seconds 0.05 --trace &
  run_pid=$!
  victim=
  for ((tries = 0; tries < 300; tries++)); do  # up to 30 s for a task to start on node2
    if cat "$work/$name.ranks"/*/rank.*/stderr 2>/dev/null | grep -q "(node2, pid [0-9]*) start"; then
      for pid in $(node_pids 2); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == rankpool ]] && { victim=$pid; break; }
      done
      [[ -z $victim ]] || break
    fi
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $victim ]]; then
    fail "$name" "no rankpool running tasks on node2 within 30 s" "$work/$name.err"
    wait "$run_pid"
  else
    found_after=$((SECONDS - launched_at))
    killed_at=$(date +%s.%N)
    kill -KILL "$victim"
    wait "$run_pid"
    status=$?
    took=$(awk -v a="$killed_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    # The other ranks are mpirun's to end; give them a moment before looking.
    left=
    for ((tries = 0; tries < 50; tries++)); do
      left=$(for ((i = 0; i < nodes; i++)); do
        for pid in $(node_pids "$i"); do
          [[ $(cat "/proc/$pid/comm" 2>/dev/null) != rankpool ]] || echo "node$i:$pid"
        done
      done)
      [[ -n $left ]] || break
      sleep 0.1
    done
    detail="killed rank pid $victim on node2 ${found_after}s after the start; mpirun exited $status after $took s"
    # mpirun passes on the status of the rank that died first (137: SIGKILL).
    if ((status == 0)); then
      fail "$name" "$detail (expected a non-zero exit)" "$work/$name.err"
    elif [[ -n $left ]]; then
      fail "$name" "$detail, but rankpool still runs: $left" "$work/$name.err"
    else
      pass "$name" "$detail; no rankpool left on any node"
    fi
  fi
fi

# --- teardown -------------------------------------------------------------------------
nodes_down
left=$(nodes_left)
if [[ -z $left ]]; then
  pass teardown "no namespace of these nodes is left"
else
  fail teardown "still there: $left"
fi

say "summary ($((SECONDS - started_at)) s):"
printf '  %s\n' "${results[@]}"
exit "$failed"
