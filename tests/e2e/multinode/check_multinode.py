"""Checks what one multi-node run wrote; multinode_test.sh calls it once per run.

usage:
  check_multinode.py factorial VARIANT UPTO OUT RANKS HOST...
  check_multinode.py reposts VARIANT OUT RANKS HOST...
  check_multinode.py tuning on|off RANKS

RANKS is the directory of mpirun --output-filename: RANKS/<job>/rank.N/stdout
and stderr, each rank's own, whole lines (mpirun's merged stream can split a
line of one rank with a piece of another's).
factorial/reposts: the output is exact (n! from math.factorial; the 2000 repost
ids the mock serves, newest first, each once), and the tasks ran on every HOST:
`--trace` lines name each rank's host, rank 0's `--json` tasks_per_rank counts
each rank's tasks, and the two agree. `serial` runs on the master alone, on the
first HOST.
tuning: rank 0's listing of the MCA parameters it got from its environment
(mpirun --mca mpi_show_mca_params enviro) shows pml=ob1 (on: rankpool's
single-node start-up tuning chose it) or no pml at all (off: left to Open MPI).
Prints one line; exit 1 with the reasons when a check fails.
"""
import json
import math
import os
import glob
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from reposts_cli_test import expected_ids  # noqa: E402  (the same ids the one-node test expects)

TRACE = re.compile(r"^\[trace\] rank (\d+) \(([^,]+), pid (\d+)\) (\w+) ")
SHOWN_PARAM = re.compile(r"\bpml=(\S*)")


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def rank_files(ranks, stream):
    """{rank: text of its stdout or stderr} from mpirun --output-filename RANKS."""
    files = glob.glob(os.path.join(ranks, "*", "rank.*", stream))
    return {int(path.split(os.sep)[-2].split(".")[1]): read(path) for path in files}


def last_json(stdout):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def spread(label, variant, ranks, hosts, tasks, failures):
    """Checks the summary and that tasks ran on every host; returns 'host:tasks ...'."""
    summary = last_json(rank_files(ranks, "stdout").get(0, ""))
    if summary is None:
        failures.append(f"{label}: no --json summary on rank 0's stdout")
        return ""
    per_rank = {int(rank): count for rank, count in summary.get("tasks_per_rank", {}).items()}
    if summary.get("tasks") != tasks or sum(per_rank.values()) != tasks:
        failures.append(f"{label}: {tasks} tasks expected, summary says {summary.get('tasks')}, per rank {per_rank}")
    host_of, finished = {}, {}
    for own, stderr in rank_files(ranks, "stderr").items():
        for match in filter(None, map(TRACE.match, stderr.splitlines())):
            rank, host, event = int(match[1]), match[2], match[4]
            if rank != own:
                failures.append(f"{label}: rank {own} wrote a trace line for rank {rank}")
            if host_of.setdefault(rank, host) != host:
                failures.append(f"{label}: rank {rank} traced on {host_of[rank]} and on {host}")
            if event == "finish":
                finished[host] = finished.get(host, 0) + 1
    per_host = {}
    for rank, count in per_rank.items():
        if count and rank not in host_of:
            failures.append(f"{label}: rank {rank} ran {count} tasks but no trace line names its host")
        per_host[host_of.get(rank, "?")] = per_host.get(host_of.get(rank, "?"), 0) + count
    if variant == "serial":
        if set(per_rank) != {0} or host_of.get(0) != hosts[0]:
            failures.append(f"{label}: serial should run on rank 0 on {hosts[0]}: {per_rank}, hosts {host_of}")
    else:
        idle = [host for host in hosts if not per_host.get(host)]
        if idle:
            failures.append(f"{label}: no task ran on {', '.join(idle)}: per host {per_host}, ranks {host_of}")
    if finished != per_host:
        failures.append(f"{label}: trace finish lines per host {finished} != tasks_per_rank per host {per_host}")
    strangers = set(host_of.values()) - set(hosts)
    if strangers:
        failures.append(f"{label}: ranks on hosts that are not nodes: {sorted(strangers)}")
    return " ".join(f"{host}:{per_host.get(host, 0)}" for host in hosts)


def check_factorial(variant, upto, out, ranks, hosts):
    failures = []
    label = f"factorial {variant}"
    if hasattr(sys, "set_int_max_str_digits"):  # Python 3.11 refuses to print ints of > 4300 digits
        sys.set_int_max_str_digits(0)
    expected = "".join(f"{n}\t{math.factorial(n)}\n" for n in range(1, upto + 1))
    if not os.path.exists(out):
        failures.append(f"{label}: no output file {out}")
    elif read(out) != expected:
        failures.append(f"{label}: {out} is not n! for n = 1..{upto}")
    where = spread(label, variant, ranks, hosts, upto, failures)
    return failures, f"1..{upto} exact; tasks per host {where}"


def check_reposts(variant, out, ranks, hosts):
    failures = []
    label = f"reposts {variant}"
    ids = []
    if not os.path.exists(out):
        failures.append(f"{label}: no output file {out}")
    else:
        ids = [json.loads(line)["id"] for line in read(out).splitlines()]
        if ids != expected_ids():
            failures.append(f"{label}: {len(ids)} ids ({len(set(ids))} unique), not the 2000 newest in order")
    summary = last_json(rank_files(ranks, "stdout").get(0, "")) or {}
    if summary.get("reposts") != 2000:
        failures.append(f"{label}: summary reposts {summary.get('reposts')}, not 2000")
    where = spread(label, variant, ranks, hosts, summary.get("tasks", -1), failures)
    return failures, f"{len(set(ids))} unique ids; tasks per host {where}"


def check_tuning(expect, ranks):
    text = rank_files(ranks, "stderr").get(0, "")
    if "mpi_show_mca_params=" not in text:
        return [f"tuning: no MCA parameter listing on rank 0's stderr in {ranks}"], ""
    shown = SHOWN_PARAM.findall(text)
    if expect == "on" and shown != ["ob1"]:
        return [f"tuning: pml=ob1 expected on one node, rank 0 shows pml={shown or 'nothing'}"], ""
    if expect == "off" and shown:
        return [f"tuning: pml must be left to Open MPI across nodes, rank 0 shows pml={shown}"], ""
    return [], f"tuning {expect} (rank 0's pml from its environment: {shown[0] if shown else 'none'})"


def main(argv):
    kind = argv[1] if len(argv) > 1 else ""
    if kind == "factorial" and len(argv) >= 7:
        failures, summary = check_factorial(argv[2], int(argv[3]), argv[4], argv[5], argv[6:])
    elif kind == "reposts" and len(argv) >= 6:
        failures, summary = check_reposts(argv[2], argv[3], argv[4], argv[5:])
    elif kind == "tuning" and len(argv) == 4 and argv[2] in ("on", "off"):
        failures, summary = check_tuning(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if failures:
        print("; ".join(f[:400] for f in failures))
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
