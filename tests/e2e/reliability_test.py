"""End to end: a worker killed mid-run, a run interrupted and resumed, a Chrome trace.

usage: reliability_test.py RANKPOOL MPIEXEC
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from e2e_util import ENV, launch, run_checks

NUMBERS = "30000-30400"


def mpirun(mpiexec, np, binary, args):
    return subprocess.Popen([mpiexec, "--oversubscribe", "-np", str(np), binary] + args, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def rank_pids(binary_args):
    out = subprocess.run(["pgrep", "-f", "--", binary_args], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def journal_entries(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n30")
    except FileNotFoundError:
        return 0


def test_killed_worker(binary, mpiexec, failures):
    marker = "--tasks 400 --seconds 0.05"
    proc = mpirun(mpiexec, 3, binary, ["sleep"] + marker.split() + ["--variant", "apply_async"])
    deadline = time.monotonic() + 15
    while len(rank_pids("rankpool sleep " + marker)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # into the run, tasks out on both workers
    pids = sorted(rank_pids("rankpool sleep " + marker))
    if len(pids) < 3:
        proc.kill()
        failures.append(f"killed worker: expected 3 rank processes, found {pids}")
        return
    os.kill(pids[-1], signal.SIGKILL)  # the highest pid: a worker, not the master
    try:
        _, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        failures.append("killed worker: the run hung")
        return
    if proc.returncode == 0:
        failures.append("killed worker: exit 0")
    if "rank" not in stderr or "signal 9" not in stderr:
        failures.append("killed worker: no message naming the lost rank: " + stderr[-500:])
    if rank_pids("rankpool sleep " + marker):
        failures.append("killed worker: ranks left running")


def test_resume(binary, mpiexec, tmp, variant, failures):
    reference = os.path.join(tmp, f"reference-{variant}.txt")
    out = os.path.join(tmp, f"resumed-{variant}.txt")
    run = launch(binary, 3, ["factorial", "--numbers", NUMBERS, "--variant", variant, "--out", reference],
                 mpiexec=mpiexec, timeout=120)
    if run.returncode != 0:
        failures.append(f"resume {variant}: reference run failed: {run.stderr[-300:]}")
        return
    proc = mpirun(mpiexec, 3, binary, ["factorial", "--numbers", NUMBERS, "--variant", variant, "--out", out])
    deadline = time.monotonic() + 60
    while journal_entries(out + ".partial") < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    # Every process at once, as a crash would: Open MPI puts each rank in its own group.
    for pid in rank_pids("--out " + out):
        os.kill(pid, signal.SIGKILL)
    proc.wait()
    done_before = journal_entries(out + ".partial")
    if os.path.exists(out):
        failures.append(f"resume {variant}: the interrupted run left a complete-looking {out}")
    if not 0 < done_before < 401:
        failures.append(f"resume {variant}: interrupted with {done_before} of 401 done; not halfway")
    run = launch(binary, 3, ["factorial", "--numbers", NUMBERS, "--variant", variant, "--out", out, "--resume",
                             "--json"], mpiexec=mpiexec, timeout=120)
    if run.returncode != 0:
        failures.append(f"resume {variant}: resumed run failed: {run.stderr[-300:]}")
        return
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    if summary["tasks"] >= 401:
        failures.append(f"resume {variant}: redid everything ({summary['tasks']} tasks)")
    if open(out, "rb").read() != open(reference, "rb").read():
        failures.append(f"resume {variant}: output differs from an uninterrupted run")
    if os.path.exists(out + ".partial"):
        failures.append(f"resume {variant}: journal left behind")


def test_chrome_trace(binary, mpiexec, tmp, failures):
    trace = os.path.join(tmp, "trace.json")
    run = launch(binary, 5, ["factorial", "--upto", "200", "--variant", "imap_unordered", "--trace-out", trace],
                 mpiexec=mpiexec)
    if run.returncode != 0:
        failures.append("trace: run failed: " + run.stderr[-300:])
        return
    with open(trace) as f:
        data = json.load(f)
    events = data["traceEvents"]
    spans = [e for e in events if e["ph"] == "X"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    if len(spans) != 200:
        failures.append(f"trace: {len(spans)} task spans, want 200")
    for e in spans:
        if not all(k in e for k in ("name", "ts", "dur", "pid", "tid")) or e["dur"] < 0 or e["ts"] < 0:
            failures.append(f"trace: bad event {e}")
            break
    if sorted({e["tid"] for e in spans}) != [1, 2, 3, 4] or sorted(names) != [1, 2, 3, 4]:
        failures.append(f"trace: want one named track per worker 1..4, got {sorted(names)}")


def main(failures):
    binary, mpiexec = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        test_killed_worker(binary, mpiexec, failures)
        # map's results arrive together at the end: there is no halfway to resume from.
        for variant in ["imap_unordered", "imap", "apply_async"]:
            test_resume(binary, mpiexec, tmp, variant, failures)
        test_chrome_trace(binary, mpiexec, tmp, failures)


if __name__ == "__main__":
    sys.exit(run_checks(main, "killed worker, resume, chrome trace"))
