"""Checks what one multi-node run wrote; multinode_test.sh calls it once per run.

usage:
  check_multinode.py factorial VARIANT UPTO OUT RANKS HOST...
  check_multinode.py reposts VARIANT OUT RANKS HOST...
  check_multinode.py exec VARIANT TASKS OUT RANKS HOST...
  check_multinode.py tuning on|off RANKS

RANKS is the directory of mpirun --output-filename: RANKS/<job>/rank.N/stdout
and stderr, each rank's own, whole lines (mpirun's merged stream can split a
line of one rank with a piece of another's).
factorial/reposts: the output is exact (n! checked as e2e_util does; the 2000 repost
ids the mock serves, newest first, each once), and the tasks ran on every HOST:
`--trace` lines name each rank's host, rank 0's `--json` tasks_per_rank counts
each rank's tasks, and the two agree. `serial` runs on the master alone, on the
first HOST.
exec: OUT (rankpool exec --out) has one row per command of the task file
TASKS, in order, each once, with its line, command and exit status (the
status a trailing `exit N` gives, else 0); each command printed
"$RANKPOOL_TASK $(hostname) $RANKPOOL_HOST $RANKPOOL_RANK", which must match
the row's task, host (the hostname and RANKPOOL_HOST both) and rank, and the
host the trace names for that rank; the rows' ranks count what rank 0's
`--json` tasks_per_rank says, its failure list is the rows that failed, and
rank 0's stderr counts them.
Rows from every HOST (serial: rank 0 on the first HOST alone).
tuning: rank 0's listing of the MCA parameters it got from its environment
(mpirun --mca mpi_show_mca_params enviro) shows pml=ob1 (on: rankpool's
single-node start-up tuning chose it) or no pml at all (off: left to Open MPI).
Prints one line; exit 1 with the reasons when a check fails.
"""
import json
import os
import glob
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from e2e_util import factorial_file_problem, finish  # noqa: E402
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
    problem = factorial_file_problem(out, range(1, upto + 1))
    if problem:
        failures.append(f"{label}: {problem}")
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


EXIT = re.compile(r"\bexit (\d+)\s*$")


def task_commands(tasks):
    """[(line number, command)] of a task file: blank lines and # comments skipped."""
    return [(number, line) for number, line in enumerate(read(tasks).splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")]


def traced_hosts(ranks):
    """{rank: host} as the --trace lines on the ranks' own stderr name them."""
    hosts = {}
    for stderr in rank_files(ranks, "stderr").values():
        for match in filter(None, map(TRACE.match, stderr.splitlines())):
            hosts.setdefault(int(match[1]), match[2])
    return hosts


def check_exec(variant, tasks, out, ranks, hosts):
    failures = []
    label = f"exec {variant}"
    commands = task_commands(tasks)
    rows = []
    if not os.path.exists(out):
        failures.append(f"{label}: no output file {out}")
    else:
        rows = [json.loads(line) for line in read(out).splitlines()]
    if [row.get("task") for row in rows] != list(range(len(commands))):
        tasks_seen = [row.get("task") for row in rows]
        missing = sorted(set(range(len(commands))) - set(tasks_seen))
        failures.append(f"{label}: {len(commands)} rows expected in task order, each once; got {len(rows)}, "
                        f"{len(set(tasks_seen))} tasks, missing {missing[:10]}")
    traced = traced_hosts(ranks)
    by_task = {row.get("task"): row for row in rows}
    per_rank, per_host, failed, bad_rows = {}, {}, [], []
    for task, (number, command) in enumerate(commands):
        if task not in by_task:
            continue
        row = by_task[task]
        exit_status = int(EXIT.search(command)[1]) if EXIT.search(command) else 0
        printed = (row.get("stdout") or "").split()
        wrong = []
        if row.get("line") != number or row.get("command") != command:
            wrong.append(f"line {row.get('line')} command {row.get('command')!r}, not line {number} {command!r}")
        if row.get("exit") != exit_status or row.get("timed_out"):
            wrong.append(f"exit {row.get('exit')} (timed out: {row.get('timed_out')}), not {exit_status}")
        if printed != [str(task), row.get("host"), row.get("host"), str(row.get("rank"))]:
            wrong.append(f"printed {row.get('stdout')!r} (task, hostname, RANKPOOL_HOST, RANKPOOL_RANK), "
                         f"row says host {row.get('host')} rank {row.get('rank')}")
        if traced.get(row.get("rank")) != row.get("host"):
            wrong.append(f"rank {row.get('rank')} traced on {traced.get(row.get('rank'))}, row says {row.get('host')}")
        if row.get("stderr") or row.get("truncated"):
            wrong.append(f"stderr {row.get('stderr')!r}, truncated {row.get('truncated')}")
        if not isinstance(row.get("seconds"), (int, float)) or row["seconds"] < 0:
            wrong.append(f"seconds {row.get('seconds')!r}")
        if wrong:
            bad_rows.append(f"task {task}: " + "; ".join(wrong))
        per_rank[row.get("rank")] = per_rank.get(row.get("rank"), 0) + 1
        per_host[row.get("host")] = per_host.get(row.get("host"), 0) + 1
        if row.get("exit") != 0:
            failed.append(task)
    if bad_rows:
        failures.append(f"{label}: {len(bad_rows)} wrong rows, first: {bad_rows[0]}")
    if variant == "serial":
        if set(per_rank) != {0} or set(per_host) != {hosts[0]}:
            failures.append(f"{label}: serial should run on rank 0 on {hosts[0]}: ranks {per_rank}, hosts {per_host}")
    else:
        idle = [host for host in hosts if not per_host.get(host)]
        if idle:
            failures.append(f"{label}: no command ran on {', '.join(idle)}: rows per host {per_host}")
    strangers = set(per_host) - set(hosts)
    if strangers:
        failures.append(f"{label}: rows from hosts that are not nodes: {sorted(strangers)}")
    summary = last_json(rank_files(ranks, "stdout").get(0, "")) or {}
    said = {int(rank): count for rank, count in summary.get("tasks_per_rank", {}).items() if count}
    if said != per_rank:
        failures.append(f"{label}: rows per rank {per_rank} != --json tasks_per_rank {said}")
    listed = sorted(f.get("task") for f in summary.get("failed", []))
    if summary.get("commands") != len(commands) or listed != failed:
        failures.append(f"{label}: --json says {summary.get('commands')} commands, failed {listed}; "
                        f"rows: {len(commands)}, failed {failed}")
    counted = f"rankpool: error: exec: {len(failed)} of {len(commands)} commands failed"
    if failed and counted not in rank_files(ranks, "stderr").get(0, ""):
        failures.append(f"{label}: no '{counted}' line on rank 0's stderr")
    where = " ".join(f"{host}:{per_host.get(host, 0)}" for host in hosts)
    return failures, f"{len(rows)} rows, failed (exit 3) tasks {failed}; commands per host {where}"


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
    elif kind == "exec" and len(argv) >= 7:
        failures, summary = check_exec(argv[2], argv[3], argv[4], argv[5], argv[6:])
    elif kind == "tuning" and len(argv) == 4 and argv[2] in ("on", "off"):
        failures, summary = check_tuning(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return finish([f[:400] for f in failures], summary, sep="; ")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
