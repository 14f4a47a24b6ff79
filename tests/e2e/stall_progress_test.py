"""A worker that stops answering ends the run under --task-timeout; a long run
shows its progress on a terminal (also under mpirun) and, when asked, in a log.
usage: stall_progress_test.py RANKPOOL MPIEXEC"""
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

from e2e_util import ENV, launch, run_checks

binary, mpiexec = sys.argv[1], sys.argv[2]


def ranks_left(marker):
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    return [pid for pid in found if int(pid) != os.getpid()]


def main(check):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "f.txt")
        # A SIGSTOPped worker holding work: the run ends within --task-timeout and a few seconds more.
        run = subprocess.Popen([mpiexec, "--oversubscribe", "-np", "3", binary, "factorial", "--upto", "40000",
                                "--variant", "imap", "--chunksize", "2", "--out", out, "--task-timeout", "3"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        victim = None
        for _ in range(200):
            time.sleep(0.05)
            pids = ranks_left("rankpool factorial --upto 40000")
            workers = [p for p in pids if p != str(run.pid)]
            if len(workers) >= 3 and os.path.exists(out + ".partial") and os.path.getsize(out + ".partial") > 1000:
                victim = int(sorted(workers, key=int)[-1])
                break
        check("a worker to stop was found", victim is not None)
        if victim:
            os.kill(victim, signal.SIGSTOP)
        try:
            _, stderr = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            _, stderr = run.communicate()
            check("the stalled run ended", False, "still running after 60 s")
        lines = [l for l in stderr.splitlines() if l.startswith("rankpool: error:")]
        check("one line names the silent rank, its host and task",
              len(lines) == 1
              and re.search(r"rank \d+ \(.*, pid \d+\) has held task \d+ for [\d.]+ s without sending anything "
                            r"\(the task timeout is [\d.]+ s\)", lines[0])
              is not None, stderr[-800:])
        check("the journal is named and kept", bool(lines) and "f.txt.partial kept" in lines[0] and
              os.path.exists(out + ".partial"), stderr[-400:])
        check("exit is non-zero", run.returncode != 0, str(run.returncode))
        time.sleep(1)
        check("no rank is left", not ranks_left("rankpool factorial --upto 40000"))
        if victim:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass

        # Progress on a terminal, under mpirun: script(1) gives mpirun a terminal.
        command = " ".join(shlex.quote(a) for a in [mpiexec, "--oversubscribe", "-np", "3", binary, "sleep", "--tasks",
                                                    "40", "--seconds", "0.1", "--variant", "imap"])
        # Bytes, not text: text mode would turn the carriage returns into newlines.
        shown = subprocess.run(["script", "-qfec", command, "/dev/null"], capture_output=True, env=ENV, timeout=60)
        screen = shown.stdout.decode(errors="replace")
        check("a terminal shows the progress line, redrawn in place",
              re.search(r"\rrankpool: \d+/40 tasks, 0 failed, [0-9.]+/s, \d+ s elapsed", screen) is not None,
              repr(screen[-400:]))
        quiet = launch(binary, 3, ["sleep", "--tasks", "20", "--seconds", "0.1"], mpiexec=mpiexec)
        check("no progress line in a log unless asked", "tasks, 0 failed" not in quiet.stderr, quiet.stderr[-300:])
        logged = launch(binary, 3,
                        ["sleep", "--tasks", "40", "--seconds", "0.1", "--progress", "--progress-interval", "1"],
                        mpiexec=mpiexec)
        progress = [l for l in logged.stderr.splitlines() if re.match(r"rankpool: \d+/40 tasks, 0 failed", l)]
        check("--progress --progress-interval 1 writes lines to a log", len(progress) >= 2 and "40/40" in progress[-1],
              logged.stderr[-500:])
        check("never on stdout", "tasks, 0 failed" not in logged.stdout + quiet.stdout)


sys.exit(run_checks(main, "stalled worker, progress lines"))
