#!/bin/sh
# rsh_agent.sh - mpirun's "ssh" to a namespace node: plm_rsh_agent points here.
#
#   rsh_agent.sh [ssh options...] HOST COMMAND...
#
# Looks HOST up in $RANKPOOL_NODES_FILE (lines "ADDRESS NETNS HOSTNAME") and
# runs COMMAND, joined by spaces and read by sh as ssh would, inside that
# node's network namespace and in a UTS namespace of its own whose hostname is
# HOSTNAME (Open MPI names shared-memory segments by hostname: two "nodes"
# with one hostname would collide in vader). Everything the command starts
# (orted, then the ranks) stays inside both namespaces. As over ssh, the
# command starts with a fresh environment (PATH, HOME, LANG, and the nodes
# file for orted to launch further nodes through this agent): what the
# ranks need must come from mpirun (OMPI_* variables, `-x NAME`).
set -eu
while [ $# -gt 0 ]; do
  case $1 in -*) shift ;; *) break ;; esac
done
[ $# -ge 2 ] || { echo "rsh_agent.sh: usage: rsh_agent.sh HOST COMMAND..." >&2; exit 255; }
host=$1
shift
nodes=${RANKPOOL_NODES_FILE:?rsh_agent.sh: RANKPOOL_NODES_FILE is not set}
line=$(awk -v h="$host" '$1 == h || $3 == h { print $2, $3; exit }' "$nodes")
[ -n "$line" ] || { echo "rsh_agent.sh: unknown host '$host' (not in $nodes)" >&2; exit 255; }
netns=${line% *}
name=${line#* }
exec env -i PATH="$PATH" HOME="${HOME:-/}" LANG="${LANG:-C.UTF-8}" RANKPOOL_NODES_FILE="$nodes" \
  ip netns exec "$netns" unshare --uts sh -c 'hostname "$0" && exec sh -c "$1"' "$name" "$*"
