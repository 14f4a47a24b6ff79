# shellcheck shell=bash
# nodes.sh - several "nodes" on one machine, real enough for Open MPI.
# Sourced, not run (bash, as root):
#
#   source tests/e2e/multinode/nodes.sh
#   nodes_up demo 3                    # nodes node0..node2 at 10.213.0.1..3
#   NODES_LIMIT=60 nodes_mpirun -np 6 build/release/src/cli/rankpool factorial --upto 100 --trace
#   node_run 1 hostname                # -> node1
#   node_spawn 0 some-server; kill $!  # in the background on node0, and stopped
#   nodes_down                         # also what the test's EXIT trap calls
#
# A node is a network namespace NAME-nI with one interface, eth0, at
# 10.213.0.(I+1)/24 (NODES_SUBNET), plugged into a bridge that lives in a
# namespace of its own, NAME-sw, so nothing is added to the host's network and
# two sets of nodes never meet. Every process started on a node also gets a
# UTS namespace whose hostname is nodeI: Open MPI names its shared-memory
# segments by hostname, and two "nodes" sharing one would collide in vader.
# mpirun runs on node0 (the head node) and reaches the others through
# rsh_agent.sh, its plm_rsh_agent, which does what ssh would: run the command
# line on the node named by its address. The machine's filesystem is shared by
# all the nodes, as a cluster's home directory is.
#
# State: NODES_NAME, NODES_DIR (nodes file for the agent,
# hostfile), NODES_SUBNET. Every command is bounded by `timeout`
# (node_run, nodes_mpirun: NODES_LIMIT seconds, default 600).

NODES_SUBNET=${NODES_SUBNET:-10.213.0}
NODES_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODES_NAME=
NODES_DIR=
NODES_OWN_DIR=

# node_address I: node I's address on the bridge.
node_address() { echo "$NODES_SUBNET.$(($1 + 1))"; }

# nodes_reap_stale: removes the nodes of earlier runs whose shell is gone
# (a run killed by SIGKILL never reaches its trap). Names end in -pPID-*.
nodes_reap_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E -- '-p[0-9]+-(sw|n[0-9]+)$'); do
    pid=${ns##*-p}
    pid=${pid%%-*}
    [[ -d /proc/$pid ]] && continue
    echo "nodes: removing $ns, left by a run (pid $pid) that is gone" >&2
    nodes_kill_ns "$ns"
    timeout 10 ip netns del "$ns" 2>/dev/null
  done
  return 0
}

# nodes_kill_ns NS: SIGKILLs every process in network namespace NS.
nodes_kill_ns() {
  local pids
  pids=$(timeout 10 ip netns pids "$1" 2>/dev/null) || return 0
  # shellcheck disable=SC2086  # one pid a word
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null
  return 0
}

# nodes_up NAME COUNT [DIR]: creates the bridge and COUNT nodes; writes
# DIR/nodes ("ADDRESS NETNS HOSTNAME", read by rsh_agent.sh) and DIR/hostfile
# (slots=NODES_SLOTS each, default 2). DIR defaults to a new temp dir.
nodes_up() {
  local name=$1 count=$2 dir=${3:-} i ns
  [[ $EUID -eq 0 ]] || { echo "nodes: needs root (ip netns, unshare)" >&2; return 1; }
  ((count >= 1 && count <= 200)) || { echo "nodes: COUNT must be 1..200" >&2; return 1; }
  for tool in ip unshare timeout awk; do
    command -v "$tool" >/dev/null || { echo "nodes: $tool not found" >&2; return 1; }
  done
  nodes_reap_stale
  NODES_NAME="$name-p$$"
  NODES_DIR=$dir
  NODES_OWN_DIR=
  if [[ -z $NODES_DIR ]]; then
    NODES_DIR=$(mktemp -d /tmp/rankpool-nodes.XXXXXX) || return 1
    NODES_OWN_DIR=1
  fi
  export RANKPOOL_NODES_FILE=$NODES_DIR/nodes
  : >"$NODES_DIR/nodes"
  : >"$NODES_DIR/hostfile"
  local sw="$NODES_NAME-sw"
  timeout 10 ip netns add "$sw" || return 1
  timeout 10 ip -n "$sw" link add br0 type bridge || return 1
  timeout 10 ip -n "$sw" link set br0 up || return 1
  for ((i = 0; i < count; i++)); do
    ns="$NODES_NAME-n$i"
    timeout 10 ip netns add "$ns" || return 1
    timeout 10 ip link add eth0 netns "$ns" type veth peer name "n$i" netns "$sw" || return 1
    timeout 10 ip -n "$sw" link set "n$i" master br0 up || return 1
    timeout 10 ip -n "$ns" addr add "$(node_address "$i")/24" dev eth0 || return 1
    timeout 10 ip -n "$ns" link set eth0 up || return 1
    timeout 10 ip -n "$ns" link set lo up || return 1
    echo "$(node_address "$i") $ns node$i" >>"$NODES_DIR/nodes"
    echo "$(node_address "$i") slots=${NODES_SLOTS:-2}" >>"$NODES_DIR/hostfile"
  done
}

# nodes_down: kills whatever still runs on the nodes and removes them (and the
# DIR nodes_up made, if it made one). Safe to call twice, or after a nodes_up
# that failed halfway.
nodes_down() {
  [[ -n $NODES_NAME ]] || return 0
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E -- "^$NODES_NAME-(sw|n[0-9]+)\$"); do
    nodes_kill_ns "$ns"
    timeout 10 ip netns del "$ns" 2>/dev/null
  done
  [[ -z $NODES_OWN_DIR ]] || rm -rf "$NODES_DIR"
  NODES_OWN_DIR=
  return 0
}

# nodes_left: prints the namespaces of these nodes that still exist.
nodes_left() {
  [[ -n $NODES_NAME ]] || return 0
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E -- "^$NODES_NAME-(sw|n[0-9]+)\$"
  return 0
}

# node_run I COMMAND...: runs COMMAND on node I (its network, hostname nodeI),
# for at most NODES_LIMIT seconds [600], then SIGTERM (SIGKILL 5 s later).
node_run() {
  local i=$1
  shift
  ip netns exec "$NODES_NAME-n$i" unshare --uts sh -c 'hostname "$0" && exec "$@"' "node$i" \
    timeout -k 5 "${NODES_LIMIT:-600}" "$@"
}

# node_spawn I COMMAND...: node_run in the background. $! is then the pid of
# COMMAND's `timeout`, which passes a SIGTERM on to COMMAND (a function run
# with & would leave $! naming a subshell that passes on nothing).
node_spawn() {
  local i=$1
  shift
  (exec ip netns exec "$NODES_NAME-n$i" unshare --uts sh -c 'hostname "$0" && exec "$@"' "node$i" \
    timeout -k 5 "${NODES_LIMIT:-600}" "$@") &
}

# node_pids I: pids of the processes running on node I.
node_pids() { timeout 10 ip netns pids "$NODES_NAME-n$1" 2>/dev/null; }

# nodes_mpirun MPIRUN-ARGS...: mpirun on node0 over the hostfile of every
# node: the agent instead of ssh, TCP and the out-of-band channel confined to
# the bridge's subnet, shared memory within a node.
nodes_mpirun() {
  node_run 0 mpirun --hostfile "$NODES_DIR/hostfile" \
    --mca plm_rsh_agent "$NODES_HERE/rsh_agent.sh" \
    --mca oob_tcp_if_include "$NODES_SUBNET.0/24" --mca btl_tcp_if_include "$NODES_SUBNET.0/24" \
    --mca btl self,vader,tcp "$@"
}
