#!/usr/bin/env python3
"""check_output.py - checks what a rankpool job script wrote.

    check_output.py factorial FILE --upto N       byte for byte "n<TAB>n!\n" for n = 1..N, in order
    check_output.py reposts FILE --unique 2000    JSON Lines, each id once, 2000 ids
    check_output.py exec-tasks FILE --count N     writes a task file of N commands for `rankpool exec`
    check_output.py exec FILE --tasks TASKFILE    rows of that task file: one per command, in order,
                                                  each exit 0 on a worker (rank >= 1), that saw its
                                                  RANKPOOL_TASK/RANK/HOST and no OMPI_*/PMIX_* variable

The factorial check is the one every end-to-end test uses (e2e_util.py). Prints one
line; exit 0 when the file is right, 1 when not (the first difference is named).
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from e2e_util import factorial_file_problem, finish  # noqa: E402


def check_reposts(path, unique):
    ids = set()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                repost_id = json.loads(line)["id"]
            except (ValueError, KeyError, TypeError) as e:
                return f"{path} line {number}: not a repost object with an id ({e})"
            if repost_id in ids:
                return f"{path} line {number}: repost id {repost_id} appears twice"
            ids.add(repost_id)
    if len(ids) != unique:
        return f"{path}: {len(ids)} unique repost ids, expected {unique}"
    return None


EXEC_COMMAND = ('echo "task=$RANKPOOL_TASK rank=$RANKPOOL_RANK host=$RANKPOOL_HOST '
                'mpi_vars=$(env | grep -c -E \'^(OMPI|PMIX)_\')"')


def write_exec_tasks(path, count):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# written by check_output.py exec-tasks\n")
        for _ in range(count):
            f.write(EXEC_COMMAND + "\n")


def check_exec(path, tasks_path):
    with open(tasks_path, encoding="utf-8") as f:
        commands = [line.rstrip("\n") for line in f if line.strip() and not line.lstrip().startswith("#")]
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    if len(rows) != len(commands):
        return f"{path}: {len(rows)} rows, expected one per command ({len(commands)})"
    for task, (row, command) in enumerate(zip(rows, commands)):
        want = f"task={task} rank={row.get('rank')} host={row.get('host')} mpi_vars=0\n"
        if row.get("task") != task or row.get("command") != command:
            return f"{path} row {task}: task {row.get('task')!r}, command {row.get('command')!r}: not in task order"
        if row.get("exit") != 0 or row.get("timed_out"):
            return f"{path} row {task}: exit {row.get('exit')}, stderr {row.get('stderr', '')[:200]!r}"
        if not isinstance(row.get("rank"), int) or row["rank"] < 1:
            return f"{path} row {task}: ran on rank {row.get('rank')!r}, not on a worker"
        if row.get("stdout") != want:
            return f"{path} row {task}: the command printed {row.get('stdout')!r}, expected {want!r}"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="job", required=True)
    f = sub.add_parser("factorial")
    f.add_argument("file")
    f.add_argument("--upto", type=int, required=True)
    r = sub.add_parser("reposts")
    r.add_argument("file")
    r.add_argument("--unique", type=int, required=True)
    e = sub.add_parser("exec-tasks")
    e.add_argument("file")
    e.add_argument("--count", type=int, required=True)
    x = sub.add_parser("exec")
    x.add_argument("file")
    x.add_argument("--tasks", required=True)
    a = p.parse_args()
    if a.job == "exec-tasks":
        write_exec_tasks(a.file, a.count)
        return 0
    try:
        if a.job == "factorial":
            error = factorial_file_problem(a.file, range(1, a.upto + 1))
            what = f"{a.upto} exact factorials, byte for byte"
        elif a.job == "exec":
            error = check_exec(a.file, a.tasks)
            what = "one row per command, each exit 0 on a worker, no MPI variables"
        else:
            error = check_reposts(a.file, a.unique)
            what = f"{a.unique} unique repost ids"
    except OSError as e:
        error = f"{e.filename or a.file}: {e.strerror}"
    except ValueError as e:
        error = f"{a.file}: not JSON Lines ({e})"
    return finish([f"check_output: FAIL {error}"] if error else [], f"check_output: ok {a.file}: {what}")


if __name__ == "__main__":
    sys.exit(main())
