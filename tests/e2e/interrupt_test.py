"""End to end: SIGINT, SIGTERM and SIGUSR1 end a run with one line and a journal to resume.

The interrupted runs cannot end before their signal lands, however fast the machine: half of their
commands wait for a gate file the test opens only after the run was stopped.

Under mpirun (Open MPI 4.1) SIGINT and SIGTERM reach the ranks as SIGCONT, then
SIGTERM a second later, then SIGKILL; mpirun exits 1 whatever rank 0 says. SIGUSR1
it forwards to every rank. Each case below says which it exercises.

usage: interrupt_test.py RANKPOOL MPIEXEC
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from e2e_util import ENV, launch, run_cases
from e2e_util import finish as report_failures

NUMBERS = "30000-30400"  # 401 tasks of ~120 KB each (--out - below)
TOTAL = 40  # exec commands in the interrupted runs
LINE = re.compile(r"^rankpool: interrupted: (\d+) of (\d+) tasks done; (.*)$", re.M)

failures = []


def check(label, condition, detail=""):
    if not condition:
        text = str(detail)
        # mpirun's closing banner alone fills the tail: keep rankpool's own lines too.
        ours = " | ".join(line for line in text.splitlines() if line.startswith("rankpool"))
        failures.append(f"{label}: {ours[:600]}{' || ' if ours else ''}{text[-600:]}")


def start(binary, mpiexec, np, args, env=None):
    cmd = [binary] + args if np == 0 else [mpiexec, "--oversubscribe", "-np", str(np), binary] + args
    return subprocess.Popen(cmd, env=env or ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return False


def finish(proc, label, seconds=60):
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        failures.append(f"{label}: still running {seconds} s after the signal")
    return proc.returncode, out, err


def rank0_pid(mpirun_pid):
    """The rank 0 child of an mpirun."""
    children = subprocess.run(["pgrep", "-P", str(mpirun_pid)], capture_output=True, text=True).stdout.split()
    for child in children:
        try:
            with open(f"/proc/{child}/environ", "rb") as f:
                if b"OMPI_COMM_WORLD_RANK=0\0" in f.read():
                    return int(child)
        except OSError:
            pass
    return None


def size_of(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def ranks_left(marker):
    return subprocess.run(["pgrep", "-f", "--", marker], capture_output=True, text=True).stdout.split()


def gated_tasks(tmp, label):
    """TOTAL commands: the first half print their number at once, the rest wait for a gate file first. The
    run cannot end before the test opens the gate, however fast the machine."""
    gate = os.path.join(tmp, label + ".gate")
    path = os.path.join(tmp, label + ".tasks")
    with open(path, "w") as f:
        for i in range(TOTAL):
            wait = "" if i < TOTAL // 2 else f"while [ ! -e {gate} ]; do sleep 0.05; done; "
            f.write(f"{wait}echo {i}\n")
    return path, gate


def journal_count(path):
    try:
        with open(path, "rb") as f:
            return max(0, f.read().count(b'"command"'))
    except FileNotFoundError:
        return 0


def interrupted_then_resumed(binary, mpiexec, tmp, np, sig, label, to_rank0=False, variant="apply_async"):
    out = os.path.join(tmp, f"{label}.jsonl")
    tasks, gate = gated_tasks(tmp, label)
    args = ["exec", "--tasks", tasks, "--variant", variant, "--out", out, "--drain-seconds", "1"]
    proc = start(binary, mpiexec, np, args)
    # A quarter of the results in the journal; the other half of the commands wait for the gate.
    if not wait_for(lambda: journal_count(out + ".partial") >= TOTAL // 4, proc):
        finish(proc, label)
        failures.append(f"{label}: the run ended before it could be interrupted")
        return
    target = rank0_pid(proc.pid) if to_rank0 else proc.pid
    os.kill(target, sig)
    if np == 0 and sig == signal.SIGUSR1:
        # The master runs the commands itself: the one it runs finishes, no other starts.
        open(gate, "w").close()
    code, _, err = finish(proc, label)
    open(gate, "w").close()
    lines = LINE.findall(err)
    check(f"{label}: one 'interrupted' line", len(lines) == 1, err)
    if lines:
        done, total, rest = lines[0]
        check(f"{label}: counts", 0 < int(done) < TOTAL and int(total) == TOTAL, lines[0])
        check(f"{label}: counts the journal", int(done) == journal_count(out + ".partial"),
              (lines[0], journal_count(out + ".partial")))
        check(f"{label}: says the journal and --resume", rest == f"{out}.partial kept; rerun with --resume", rest)
    if np == 0 or to_rank0 or sig == signal.SIGUSR1:
        want = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGUSR1: 75}[sig]
        check(f"{label}: exit {want}", code == want, f"rc {code}: {err}")
    else:
        check(f"{label}: mpirun exits non-zero", code != 0, f"rc {code}")
    check(f"{label}: no final file", not os.path.exists(out))
    check(f"{label}: every rank gone", ranks_left("--out " + out) == [], ranks_left("--out " + out))
    journal = open(out + ".partial", "rb").read()
    # A plain rerun refuses and leaves the journal as it is. (Reruns on 3 ranks: a journal resumes at any size.)
    run = launch(binary, 3, args, mpiexec=mpiexec, timeout=60)
    check(f"{label}: plain rerun exits 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    check(f"{label}: plain rerun says --resume", "add --resume" in run.stderr, run.stderr)
    check(f"{label}: journal intact", open(out + ".partial", "rb").read() == journal)
    run = launch(binary, 3, args + ["--resume", "--json"], mpiexec=mpiexec, timeout=120)
    check(f"{label}: --resume exit 0", run.returncode == 0, run.stderr)
    if run.returncode == 0:
        resumed = json.loads(run.stdout.strip().splitlines()[-1]).get("resumed", 0)
        check(f"{label}: --resume ran only the rest", resumed > 0, run.stdout[-300:])
        rows = [json.loads(line) for line in open(out)]
        check(f"{label}: every command's row, in order, with its output",
              [(r["task"], r["stdout"], r["exit"]) for r in rows] == [(i, f"{i}\n", 0) for i in range(TOTAL)],
              rows[:3])


def test_drain_finishes_what_is_out(binary, mpiexec):
    marker = "--tasks 20 --seconds 2"
    proc = start(binary, mpiexec, 3, ["sleep"] + marker.split() + ["--trace"])
    seen = []

    def started():
        line = proc.stderr.readline()
        seen.append(line)
        return "start" in line

    if not wait_for(started, proc):
        failures.append("drain: no task started: " + "".join(seen))
    os.kill(proc.pid, signal.SIGUSR1)
    code, _, err = finish(proc, "drain")
    lines = LINE.findall(err)
    check("drain: exit 75", code == 75, f"rc {code}: {err}")
    check("drain: one line", len(lines) == 1, err)
    # What was out when the signal came finishes (each worker holds two); nothing new is handed out.
    if lines:
        check("drain: the tasks out finished, no more", 1 <= int(lines[0][0]) < 20, lines[0])
    check("drain: every rank gone", ranks_left("sleep " + marker) == [], ranks_left("sleep " + marker))


def test_drain_deadline(binary, mpiexec):
    marker = "--tasks 20 --seconds 60"
    proc = start(binary, mpiexec, 3, ["sleep"] + marker.split() + ["--drain-seconds", "1", "--trace"])
    wait_for(lambda: "start sleep task" in proc.stderr.readline(), proc)  # the trace line: the task runs
    os.kill(proc.pid, signal.SIGUSR1)
    # The tasks take a minute; the drain gives them one second.
    code, _, err = finish(proc, "drain deadline", seconds=40)
    check("drain deadline: exit 75", code == 75, f"rc {code}: {err}")
    check("drain deadline: the line", "rankpool: interrupted: 0 " in err, err)
    check("drain deadline: every rank gone", ranks_left("sleep " + marker) == [], ranks_left("sleep " + marker))


def test_second_interrupt_kills(binary, mpiexec):
    # One task of 60 s on the master alone: the first SIGINT waits for it, the second does not.
    proc = start(binary, mpiexec, 0, ["sleep", "--tasks", "1", "--seconds", "60", "--variant", "serial", "--trace"])
    wait_for(lambda: "start sleep task" in proc.stderr.readline(), proc)  # the trace line: the task runs
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGINT)
    code, _, err = finish(proc, "second SIGINT", seconds=20)
    check("second SIGINT: killed by it", code == -signal.SIGINT, f"rc {code}: {err}")


def test_stdout_journal_goes(binary, mpiexec, tmp):
    tmpdir = os.path.join(tmp, "private")
    os.makedirs(tmpdir)
    proc = start(binary, mpiexec, 0, ["factorial", "--numbers", NUMBERS, "--out", "-"], env=dict(ENV, TMPDIR=tmpdir))
    if not wait_for(lambda: any(size_of(os.path.join(tmpdir, d, "output.partial")) > 1_000_000
                                for d in os.listdir(tmpdir)), proc):
        failures.append("--out - interrupted: no private journal seen in $TMPDIR")
    os.kill(proc.pid, signal.SIGTERM)
    code, out, err = finish(proc, "--out - interrupted")
    check("--out - interrupted: exit 143", code == 143, f"rc {code}: {err}")
    check("--out - interrupted: says nothing is kept", "tasks done; nothing kept" in err, err)
    check("--out - interrupted: nothing on stdout", out == "", out[:200])
    left = [name for name in os.listdir(tmpdir) if name.startswith("rankpool")]
    check("--out - interrupted: private journal removed", left == [], left)


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            # np, signal, label, to rank 0 (not mpirun), variant
            (0, signal.SIGINT, "np0-sigint", False, "apply_async"),
            (0, signal.SIGUSR1, "np0-sigusr1", False, "imap"),
            (3, signal.SIGINT, "mpirun-sigint", False, "imap_unordered"),
            (3, signal.SIGTERM, "rank0-sigterm", True, "apply_async"),
            (3, signal.SIGUSR1, "mpirun-sigusr1", False, "apply_async"),
        ]
        tests = [lambda case=case: interrupted_then_resumed(binary, mpiexec, tmp, *case) for case in cases]
        tests += [lambda test=test: test(binary, mpiexec) for test in
                  [test_drain_finishes_what_is_out, test_drain_deadline, test_second_interrupt_kills]]
        tests.append(lambda: test_stdout_journal_goes(binary, mpiexec, tmp))
        run_cases([(f"case {number}", test) for number, test in enumerate(tests)], failures)
    return report_failures(failures, "ok: SIGINT, SIGTERM, SIGUSR1 (drain, deadline), a second SIGINT, --out - journal removed")


if __name__ == "__main__":
    sys.exit(main())
