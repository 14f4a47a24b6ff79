"""End to end: `rankpool exec` runs a task file's commands and records each one.

usage: exec_cli_test.py RANKPOOL MPIEXEC NP

At NP 0 (no mpirun) and NP 3. Checks: 200 commands with some failing, every
variant, each row right (task, line, command, exit, rank, host, captured
output with RANKPOOL_TASK/RANK/HOST as the command saw them); failures in
--json and in one stderr line; a task file on stdin; no MPI variables, nor
the malloc tunables the command starts itself with, in a command's
environment; --task-timeout killing a command with its children;
--capture-bytes truncation; --output-dir; --retries; and (NP 3 only) a run
interrupted by SIGINT to mpirun, then resumed, that runs no finished command
again and ends with every row.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

from e2e_util import ENV, launch, last_json, rankpool_error_lines

VARIANTS = ["serial", "apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]
COMMANDS = 200


def fails(i):
    return i % 9 == 4


def write_task_file(path):
    """200 commands between comments and blank lines; returns [(line, command)]."""
    entries, lines = [], ["# rankpool exec test", ""]
    for i in range(COMMANDS):
        if i % 50 == 0:
            lines.append(f"# block {i // 50}")
        if i % 17 == 0:
            lines.append("   ")
        command = f'echo "$RANKPOOL_TASK $RANKPOOL_RANK $RANKPOOL_HOST {i}"'
        if i % 5 == 0:
            command += f"; echo warn {i} >&2"
        if fails(i):
            command += "; exit 1"
        lines.append(command)
        entries.append((len(lines), command))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return entries


def read_rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class Checker:
    def __init__(self):
        self.failures = []

    def __call__(self, label, condition, detail=""):
        if not condition:
            self.failures.append(f"{label}: {str(detail)[-600:]}")
        return condition


def check_farm(binary, mpiexec, np, tmp, check):
    """200 commands, some exit 1, through every variant: each row right."""
    tasks = os.path.join(tmp, "tasks.txt")
    entries = write_task_file(tasks)
    host = socket.gethostname()
    workers = max(np - 1, 0)
    expected_failed = [i for i in range(COMMANDS) if fails(i)]
    for variant in VARIANTS:
        label = f"farm {variant}"
        out = os.path.join(tmp, f"rows-{variant}.jsonl")
        run = launch(binary, np, ["exec", "--tasks", tasks, "--variant", variant, "--out", out, "--json"],
                     mpiexec=mpiexec, timeout=120)
        check(label + " exit 1 (some failed)", run.returncode == 1, f"rc {run.returncode}: {run.stderr}")
        if not check(label + " rows written", os.path.exists(out), run.stderr):
            continue
        rows = read_rows(out)
        check(label + " no journal left", not os.path.exists(out + ".partial"))
        if not check(label + " one row per command", len(rows) == COMMANDS, len(rows)):
            continue
        ranks = set()
        for i, row in enumerate(rows):
            line, command = entries[i]
            want_exit = 1 if fails(i) else 0
            rank = row.get("rank")
            ranks.add(rank)
            ok = (row["task"] == i and row["line"] == line and row["command"] == command
                  and row["exit"] == want_exit and row["timed_out"] is False and row["attempts"] == 1
                  and row["host"] == host and row["stdout"] == f"{i} {rank} {host} {i}\n"
                  and row["stderr"] == (f"warn {i}\n" if i % 5 == 0 else "") and row["truncated"] is False
                  and row["seconds"] >= 0)
            if not check(f"{label} row {i}", ok, row):
                break
        if variant == "serial" or workers == 0:
            check(label + " ran on the master", ranks == {0}, ranks)
        else:
            check(label + " ran on the workers", ranks and ranks <= set(range(1, workers + 1)), ranks)
        summary = last_json(run.stdout)
        check(label + " json counts", summary["commands"] == COMMANDS and summary["tasks"] == COMMANDS
              and summary["commands_failed"] == len(expected_failed) and summary["errors"] == [], summary)
        check(label + " json lists failures", [f["task"] for f in summary["failed"]] == expected_failed
              and all(f["exit"] == 1 and f["line"] == entries[f["task"]][0] for f in summary["failed"]),
              summary["failed"][:5])
        lines = rankpool_error_lines(run.stderr)
        check(label + " one stderr line counts them",
              len(lines) == 1 and f"{len(expected_failed)} of {COMMANDS} commands failed" in lines[0]
              and "first: task 4 (line" in lines[0], run.stderr)


def process_runs(pid):
    """Whether pid is a live process (a zombie nobody reaped is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def check_small_runs(binary, mpiexec, np, tmp, check):
    # A task file on stdin, all succeeding: exit 0; without --out each command's output is printed.
    with open(os.path.join(tmp, "stdin.txt"), "w") as f:
        f.write("echo first\n\n# skipped\necho second\nenv | grep -c -E '^(OMPI|PMIX)_|^GLIBC_TUNABLES=|^RANKPOOL_HEAP' || true\n")
    with open(os.path.join(tmp, "stdin.txt")) as stdin:
        # map: the master of a map starts itself again with malloc tunables, which its commands must not see.
        run = launch(binary, np, ["exec", "--tasks", "-", "--variant", "map"], mpiexec=mpiexec, stdin=stdin)
    check("stdin exit 0", run.returncode == 0, run.stderr)
    check("stdin output shown", run.stdout.splitlines()[:3] == ["first", "second", "0"], run.stdout)
    check("stdin no error line", rankpool_error_lines(run.stderr) == [], run.stderr)

    # --task-timeout: the command and its background grandchild are killed; the others run.
    pidfile = os.path.join(tmp, "grandchild.pid")
    tasks = os.path.join(tmp, "timeout.txt")
    with open(tasks, "w") as f:
        f.write(f"echo before\nsleep 300 & echo $! > {pidfile}; wait\necho after\n")
    out = os.path.join(tmp, "timeout.jsonl")
    run = launch(binary, np, ["exec", "--tasks", tasks, "--task-timeout", "1", "--out", out, "--json"],
                 mpiexec=mpiexec, timeout=90)
    check("timeout exit 1", run.returncode == 1, f"rc {run.returncode}: {run.stderr}")
    if check("timeout rows", os.path.exists(out), run.stderr):
        rows = read_rows(out)
        check("timeout row", rows[1]["timed_out"] is True and rows[1]["exit"] == 128 + signal.SIGTERM, rows[1])
        check("timeout others ran", rows[0]["exit"] == 0 and rows[2]["stdout"] == "after\n", rows)
        summary = last_json(run.stdout)
        check("timeout in json", summary["failed"] == [{"task": 1, "line": 2, "exit": 143, "timed_out": True}],
              summary["failed"])
        check("timeout stderr line", any("1 of 3 commands failed (1 timed out)" in l
                                         for l in rankpool_error_lines(run.stderr)), run.stderr)
        grandchild = int(open(pidfile).read())
        gone = False
        for _ in range(100):
            gone = not process_runs(grandchild)
            if gone:
                break
            time.sleep(0.05)
        if not check("timeout grandchild killed", gone, f"sleep {grandchild} still runs"):
            os.kill(grandchild, signal.SIGKILL)

    # --capture-bytes: the first N bytes, the rest counted, flagged.
    tasks = os.path.join(tmp, "chatty.txt")
    with open(tasks, "w") as f:
        f.write("head -c 5000 /dev/zero | tr '\\0' x; echo e >&2\necho short\n")
    out = os.path.join(tmp, "chatty.jsonl")
    run = launch(binary, np, ["exec", "--tasks", tasks, "--capture-bytes", "100", "--out", out], mpiexec=mpiexec)
    check("capture exit 0", run.returncode == 0, run.stderr)
    if check("capture rows", os.path.exists(out), run.stderr):
        rows = read_rows(out)
        check("capture truncated", rows[0]["stdout"] == "x" * 100 and rows[0]["stdout_bytes"] == 5000
              and rows[0]["stderr"] == "e\n" and rows[0]["truncated"] is True, rows[0])
        check("capture not truncated", rows[1]["stdout"] == "short\n" and rows[1]["truncated"] is False, rows[1])

    # --output-dir: each command's whole output in DIR/<task>.stdout and .stderr.
    tasks = os.path.join(tmp, "files.txt")
    with open(tasks, "w") as f:
        for i in range(6):
            f.write(f"head -c {70000 * (i + 1)} /dev/zero; echo err$RANKPOOL_TASK >&2\n")
    out_dir = os.path.join(tmp, "outputs", "nested")
    out = os.path.join(tmp, "files.jsonl")
    run = launch(binary, np, ["exec", "--tasks", tasks, "--output-dir", out_dir, "--out", out], mpiexec=mpiexec)
    check("output-dir exit 0", run.returncode == 0, run.stderr)
    if check("output-dir rows", os.path.exists(out), run.stderr):
        rows = read_rows(out)
        for i, row in enumerate(rows):
            stdout_file = os.path.join(out_dir, f"{i}.stdout")
            ok = (row["stdout_file"] == stdout_file and "stdout" not in row
                  and os.path.getsize(stdout_file) == 70000 * (i + 1)
                  and open(os.path.join(out_dir, f"{i}.stderr")).read() == f"err{i}\n")
            if not check(f"output-dir task {i}", ok, row):
                break

    # --retries: a command that fails once then succeeds; one that always fails.
    tasks = os.path.join(tmp, "retries.txt")
    flag = os.path.join(tmp, "retried")
    with open(tasks, "w") as f:
        f.write(f"if [ -e {flag} ]; then echo ok; else touch {flag}; exit 3; fi\nexit 4\n")
    out = os.path.join(tmp, "retries.jsonl")
    run = launch(binary, np, ["exec", "--tasks", tasks, "--retries", "2", "--out", out], mpiexec=mpiexec)
    check("retries exit 1", run.returncode == 1, run.stderr)
    if check("retries rows", os.path.exists(out), run.stderr):
        rows = read_rows(out)
        check("retries recovered", rows[0]["exit"] == 0 and rows[0]["attempts"] == 2 and rows[0]["stdout"] == "ok\n",
              rows[0])
        check("retries gave up", rows[1]["exit"] == 4 and rows[1]["attempts"] == 3, rows[1])

    # Bad input: one clear line, exit 2.
    run = launch(binary, np, ["exec", "--tasks", os.path.join(tmp, "missing.txt")], mpiexec=mpiexec)
    lines = rankpool_error_lines(run.stderr)
    check("missing file exit 2", run.returncode == 2 and len(lines) == 1 and "cannot open" in lines[0],
          f"rc {run.returncode}: {run.stderr}")


def journal_rows(path):
    """Task indices with a whole row in an exec journal."""
    done = set()
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except FileNotFoundError:
        return done
    for line in text.splitlines():
        if line.startswith('{"task":') and line.endswith("}"):
            try:
                done.add(json.loads(line)["task"])
            except ValueError:
                pass
    return done


def end_with(proc, sig, ended, check):
    """Sends `sig` to mpirun and waits for the run to end; returns its stderr,
    or None (and the check `ended` fails) if it still runs 30 s later."""
    proc.send_signal(sig)
    try:
        return proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        check(ended, False, f"mpirun ignored {signal.Signals(sig).name} for 30 s")
        return None


def check_resume(binary, mpiexec, tmp, check):
    """SIGINT to mpirun halfway, then --resume: no finished command runs again."""
    markers = os.path.join(tmp, "markers")
    tasks = os.path.join(tmp, "resume.txt")
    with open(tasks, "w") as f:
        for _ in range(COMMANDS):
            f.write(f"echo $RANKPOOL_TASK >> {markers}; sleep 0.02; echo done $RANKPOOL_TASK\n")
    out = os.path.join(tmp, "resume.jsonl")
    args = ["exec", "--tasks", tasks, "--out", out, "--variant", "imap_unordered"]
    proc = subprocess.Popen([mpiexec, "--oversubscribe", "-np", "3", binary] + args, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(journal_rows(out + ".partial")) < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    err = end_with(proc, signal.SIGINT, "resume: interrupted run ended", check)
    if err is not None:
        said = re.search(r"^rankpool: interrupted: (\d+) of (\d+) tasks done; (.*) kept", err, re.M)
        check("resume: the interrupted line counts the journal's rows of all", said is not None
              and int(said.group(2)) == COMMANDS and 0 < int(said.group(1)) <= COMMANDS, err[-2000:])
    time.sleep(0.3)  # a command that outlived its rank would write its marker now
    done = journal_rows(out + ".partial")
    check("resume: interrupted halfway", 0 < len(done) < COMMANDS, f"{len(done)} rows before the interrupt")
    check("resume: no final file yet", not os.path.exists(out))

    run = launch(binary, 3, args + ["--resume", "--json"], mpiexec=mpiexec, timeout=120)
    if not check("resume: resumed run exit 0", run.returncode == 0, run.stderr):
        return
    summary = last_json(run.stdout)
    check("resume: ran only the rest", summary["tasks"] == COMMANDS - len(done) and summary["resumed"] == len(done),
          summary)
    rows = read_rows(out)
    check("resume: every row, in order", [r["task"] for r in rows] == list(range(COMMANDS))
          and all(r["stdout"] == f"done {r['task']}\n" for r in rows), len(rows))
    check("resume: journal removed", not os.path.exists(out + ".partial"))
    counts = {}
    for line in open(markers).read().split():
        counts[int(line)] = counts.get(int(line), 0) + 1
    check("resume: every command ran", sorted(counts) == list(range(COMMANDS)), sorted(set(range(COMMANDS)) - set(counts)))
    again = [t for t in done if counts.get(t, 0) != 1]
    check("resume: no finished command ran again", not again, again)
    # Only what was in flight at the interrupt may run twice: 2 workers, a
    # few one-command chunks each.
    twice = [t for t, c in counts.items() if c > 1]
    check("resume: at most the in-flight commands again", len(twice) <= 8, twice)


def check_nothing_left_running(binary, mpiexec, tmp, check):
    """SIGINT, and a drain (SIGUSR1) past its deadline, end the run with commands
    running and more queued: the launcher's SIGTERM then SIGKILL end the ranks,
    and no command may outlive them (none running, none started in between)."""
    marker = f"sleep 31.{os.getpid()}"  # this run's commands alone: other runs may share the machine
    tasks = os.path.join(tmp, "long.txt")
    with open(tasks, "w") as f:
        f.write(f"{marker}\n" * 8)
    for sig, extra, label in ((signal.SIGINT, [], "SIGINT"),
                              (signal.SIGUSR1, ["--drain-seconds", "1"], "drain past its deadline")):
        proc = subprocess.Popen([mpiexec, "--oversubscribe", "-np", "3", binary, "exec", "--tasks", tasks] + extra,
                                env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and len(running(marker)) < 2:
            time.sleep(0.05)
        check(f"{label}: the commands started", len(running(marker)) >= 2, running(marker))
        end_with(proc, sig, f"{label}: the run ended", check)
        time.sleep(1)  # a command started as the ranks ended would show now
        left = running(marker)
        check(f"{label}: no command left running", not left, left)
        for pid in left:
            os.kill(int(pid), signal.SIGKILL)


def running(pattern):
    return subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True).stdout.split()


def main():
    binary, mpiexec, np = sys.argv[1], sys.argv[2], int(sys.argv[3])
    check = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        check_farm(binary, mpiexec, np, tmp, check)
        check_small_runs(binary, mpiexec, np, tmp, check)
        if np >= 3:
            check_resume(binary, mpiexec, tmp, check)
            check_nothing_left_running(binary, mpiexec, tmp, check)
    if check.failures:
        print("\n".join(check.failures))
        return 1
    print(f"ok: exec end to end at {np} ranks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
