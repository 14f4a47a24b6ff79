"""End to end: `rankpool exec` stopped at a random moment, then resumed, never runs a finished command
again and never loses one.

For every variant, each run starts 16 commands that log their start and end, waits until one has
started, waits a random moment more, and then sends mpirun SIGINT, SIGTERM, SIGUSR1 or two SIGINTs
in a row (the runs take them in turn); it then resumes with --resume until the output is complete.
Afterwards the log must show every command ended, and none started again after it ended.

usage: exec_torture_test.py RANKPOOL MPIEXEC [RUNS_PER_VARIANT [SEED]]
(CTest runs 2 per variant; 20 per variant is the full torture.)
"""
import json
import os
import random
import signal
import sys
import tempfile
import time

from e2e_util import (Checks, collect, launch, lines_of, log_events, logged_command, processes_matching,
                      ran_once_each, start_detached, wait_gone, wait_while_running)

VARIANTS = ["apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]
SIGNALS = ["SIGINT", "SIGTERM", "SIGUSR1", "two SIGINTs"]
COMMANDS = 16

check = Checks()


def send(kind, pid, rng):
    if kind == "two SIGINTs":
        os.kill(pid, signal.SIGINT)
        time.sleep(rng.uniform(0, 0.1))
        os.kill(pid, signal.SIGINT)
    else:
        os.kill(pid, getattr(signal, kind))


def one_run(binary, mpiexec, tmp, variant, kind, number, rng, stats):
    label = f"{variant} run {number} ({kind})"
    base = os.path.join(tmp, f"{variant}-{number}")
    log, out = base + ".log", base + ".jsonl"
    with open(base + ".tasks", "w") as f:
        for i in range(COMMANDS):
            f.write(logged_command(log, rng.choice([0.1, 0.3, 0.6])) + "\n")
    args = ["exec", "--tasks", base + ".tasks", "--out", out, "--variant", variant, "--drain-seconds", "30"]
    proc = start_detached(binary, mpiexec, 3, args)
    if not wait_while_running(lambda: log_events(log), proc):
        _, _, err, _ = collect(proc)
        check(f"{label}: a command started", False, err)
        return
    time.sleep(rng.uniform(0, 1.5))
    if proc.poll() is None:
        send(kind, proc.pid, rng)
        stats["signalled"] += 1
    _, _, err, hung = collect(proc, seconds=90)
    check(f"{label}: the run ended", not hung, err)
    check(f"{label}: every rank gone", wait_gone("--out " + out), processes_matching("--out " + out))
    for attempt in range(3):
        if not os.path.exists(out + ".partial"):
            break
        run = launch(binary, 3, args + ["--resume"], mpiexec=mpiexec, timeout=180)
        check(f"{label}: --resume {attempt + 1} exit 0", run.returncode == 0, f"rc {run.returncode}: {run.stderr}")
        stats["resumed"] += 1
    problems = ran_once_each(log, COMMANDS)
    check(f"{label}: each command ran to its end once", not problems, f"{problems}; log: {lines_of(log)}")
    rows = [json.loads(line) for line in lines_of(out) if line.strip()]
    check(f"{label}: one row per command, each exit 0",
          sorted(r["task"] for r in rows) == list(range(COMMANDS)) and all(r["exit"] == 0 for r in rows),
          rows)
    stats["started"] += sum(1 for what, _ in log_events(log) if what == "start")


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else random.randrange(1 << 30)
    rng = random.Random(seed)
    stats = {"signalled": 0, "resumed": 0, "started": 0}
    tests = []
    with tempfile.TemporaryDirectory(prefix="rankpool-torture-") as tmp:
        number = 0
        for variant in VARIANTS:
            for _ in range(runs):
                kind = SIGNALS[number % len(SIGNALS)]
                tests.append((f"{variant} run {number}", lambda v=variant, k=kind, n=number:
                              one_run(binary, mpiexec, tmp, v, k, n, rng, stats)))
                number += 1
        code = check.run(tests, f"ok: {number} runs ({runs} per variant)")
    print(f"seed {seed}: {stats['signalled']} runs signalled, {stats['resumed']} resumes, "
          f"{stats['started']} command starts for {number * COMMANDS} commands")
    return code


if __name__ == "__main__":
    sys.exit(main())
