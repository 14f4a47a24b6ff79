"""End to end: the command farm's journal, planted files and outputs that get overwritten.

Each numbered case is one way a finished command ran twice, a row was lost, a
journal was believed when it should not be, a planted file was written through,
or an output was overwritten; each function is named after its case. Every race
with a signal waits for proof that the run is where the case needs it (a line in
a log the commands write), and the commands run long enough for the signal to land.

usage: nothing_lost_test.py RANKPOOL MPIEXEC
"""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zlib

from e2e_util import (ENV, Checks, collect, launch, lines_of, log_events, logged_command, processes_matching,
                      ran_once_each, start_detached, wait_gone, wait_while_running)

check = Checks()
BINARY, MPIEXEC = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="rankpool-nothing-lost-")


def task_file(name, commands):
    path = os.path.join(TMP, name + ".tasks")
    with open(path, "w") as f:
        f.write("\n".join(commands) + "\n")
    return path


def ends(log):
    return sum(1 for what, _ in log_events(log) if what == "end")


def check_once_each(label, log, count):
    """No command started again after it ended, and every one ended."""
    problems = ran_once_each(log, count)
    check(f"{label}: each command ran to its end once", not problems, problems)


def rows(path):
    return [json.loads(line) for line in lines_of(path) if line.strip()]


def exec_args(name, tasks, out, *more):
    return ["exec", "--tasks", tasks, "--out", out] + list(more)


def start_logged_run(label, seconds, count, variant):
    """COUNT logged commands of SECONDS each through exec --variant VARIANT on 3 ranks: (log, out, args, proc)."""
    log = os.path.join(TMP, label + ".log")
    out = os.path.join(TMP, label + ".jsonl")
    args = exec_args(label, task_file(label, [logged_command(log, seconds)] * count), out, "--variant", variant)
    return log, out, args, start_detached(BINARY, MPIEXEC, 3, args)


def resume_until_done(label, args, np=3):
    run = launch(BINARY, np, args + ["--resume"], mpiexec=MPIEXEC, timeout=180)
    check(f"{label}: --resume exit 0", run.returncode == 0, f"rc {run.returncode}: {run.stderr}")
    return run


def interrupt_exec(label, variant, send, count=10, seconds=0.5, min_ends=2, more=()):
    """Starts `count` logged commands under mpirun, waits for `min_ends` to end, calls send(proc), then resumes."""
    log = os.path.join(TMP, label + ".log")
    out = os.path.join(TMP, label + ".jsonl")
    tasks = task_file(label, [logged_command(log, seconds)] * count)
    args = exec_args(label, tasks, out, "--variant", variant, *more)
    proc = start_detached(BINARY, MPIEXEC, 3, args)
    if not wait_while_running(lambda: ends(log) >= min_ends, proc):
        collect(proc)
        check(f"{label}: the run was underway", False, "no command ended")
        return
    send(proc)
    _, _, err, hung = collect(proc)
    check(f"{label}: ended after the signal", not hung, err)
    check(f"{label}: every rank gone", wait_gone("--out " + out), processes_matching("--out " + out))
    if os.path.exists(out + ".partial"):
        resume_until_done(label, args)
    check_once_each(label, log, count)
    check(f"{label}: one row per command", sorted(r["task"] for r in rows(out)) == list(range(count)), rows(out))


def case_1_map_journals_each_row():
    for variant in ("map", "map_async"):
        interrupt_exec(f"case1-{variant}-sigint", variant, lambda proc: os.kill(proc.pid, signal.SIGINT))
    interrupt_exec("case1-map-sigusr1", "map", lambda proc: os.kill(proc.pid, signal.SIGUSR1),
                   more=("--drain-seconds", "0.3"))


def case_2_apply_starts_nothing_after_sigusr1():
    label = "case2-apply-sigusr1"
    log, out, args, proc = start_logged_run(label, 2, 6, "apply")
    # apply runs one command at a time: signal while the second runs.
    if not wait_while_running(lambda: log_events(log)[-1:] == [("start", 1)] and ends(log) == 1, proc):
        collect(proc)
        check(f"{label}: the run was underway", False, lines_of(log))
        return
    os.kill(proc.pid, signal.SIGUSR1)
    code, _, err, _ = collect(proc)
    check(f"{label}: exit 75", code == 75, f"rc {code}: {err}")
    started = [task for what, task in log_events(log) if what == "start"]
    check(f"{label}: nothing started after the signal", started == [0, 1], started)
    kept = journal_entries(out + ".partial") or []
    check(f"{label}: both finished commands journaled", sorted(key for key, _ in kept) == [0, 1], kept)
    resume_until_done(label, args)
    check_once_each(label, log, 6)


def case_3_watchdog_allows_retries_and_chunks():
    # Each attempt is killed at 1 s: 38 retries are ~39 s, past the 33 s the watchdog allowed.
    retries = start_detached(BINARY, MPIEXEC, 2, ["exec", "--tasks", task_file("case3-retries", ["sleep 5"]),
                                                  "--task-timeout", "1", "--retries", "38", "--json"])
    # 20 commands of 1.8 s in one hand-out of one worker: ~36 s without a word.
    log = os.path.join(TMP, "case3-chunk.log")
    out = os.path.join(TMP, "case3-chunk.jsonl")
    chunk = start_detached(BINARY, MPIEXEC, 2, exec_args("case3", task_file("case3-chunk", [logged_command(log, 1.8)] * 20),
                                                         out, "--task-timeout", "2", "--variant", "imap",
                                                         "--chunksize", "20"))
    code, out_text, err, _ = collect(retries, seconds=300)
    check("case 3 retries: no stall", "sent nothing" not in err, err)
    check("case 3 retries: the command failed, timed out, after 39 attempts", code == 1, f"rc {code}: {err}")
    if code == 1 and out_text.strip():
        summary = json.loads(out_text.strip().splitlines()[-1])
        check("case 3 retries: commands_failed 1", summary.get("commands_failed") == 1, summary)
    code, _, err, _ = collect(chunk, seconds=300)
    check("case 3 chunk: no stall", "sent nothing" not in err, err)
    check("case 3 chunk: exit 0", code == 0, f"rc {code}: {err}")
    check("case 3 chunk: every row", len(rows(out)) == 20, len(rows(out)))


def case_4_two_sigints_leave_nothing_running():
    def twice(proc):
        os.kill(proc.pid, signal.SIGINT)
        time.sleep(0.05)
        os.kill(proc.pid, signal.SIGINT)

    label = "case4-two-sigints"
    log, out, args, proc = start_logged_run(label, 1, 12, "imap")
    if not wait_while_running(lambda: ends(log) >= 2, proc):
        collect(proc)
        check(f"{label}: the run was underway", False, lines_of(log))
        return
    twice(proc)
    collect(proc)
    # An immediate --resume: the ranks mpirun left behind end, and their lock goes with them.
    run = launch(BINARY, 3, args + ["--resume"], mpiexec=MPIEXEC, timeout=180)
    check(f"{label}: immediate --resume exit 0", run.returncode == 0, f"rc {run.returncode}: {run.stderr}")
    check(f"{label}: no rank left", wait_gone("--out " + out, seconds=10), processes_matching("--out " + out))
    check_once_each(label, log, 12)


def case_5_resume_onto_complete_output():
    label = "case5"
    log = os.path.join(TMP, label + ".log")
    out = os.path.join(TMP, label + ".jsonl")
    args = exec_args(label, task_file(label, [logged_command(log, 0)] * 4), out)
    run = launch(BINARY, 3, args, mpiexec=MPIEXEC)
    check(f"{label}: first run exit 0", run.returncode == 0, run.stderr)
    before = open(out, "rb").read()
    starts = len(log_events(log))
    run = launch(BINARY, 3, args + ["--resume"], mpiexec=MPIEXEC)
    check(f"{label}: --resume exit 0", run.returncode == 0, f"rc {run.returncode}: {run.stderr}")
    check(f"{label}: says nothing to run", "nothing to run" in run.stderr, run.stderr)
    check(f"{label}: ran nothing", len(log_events(log)) == starts, lines_of(log))
    check(f"{label}: output untouched", open(out, "rb").read() == before)


def journal_with_rows(label, count_done, np=0):
    """An exec journal holding rows for tasks 0..count_done-1 of count_done + 1 (the last runs until killed)."""
    out = os.path.join(TMP, label + ".jsonl")
    commands = [f"echo {i}" for i in range(count_done)] + ["sleep 60"]
    args = exec_args(label, task_file(label, commands), out, "--variant", "imap")
    proc = start_detached(BINARY, MPIEXEC, np, args)
    wait_while_running(lambda: len(journal_entries(out + ".partial") or []) >= count_done, proc)
    os.kill(proc.pid, signal.SIGINT)
    collect(proc)
    return out, args


def journal_entries(path):
    """[(header_line, payload)] of a journal; None if it cannot be read yet."""
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return None
    head, _, body = data.partition(b"\n")
    entries = []
    while body:
        line, _, rest = body.partition(b"\n")
        try:
            key, size, _crc = line.split(b" ")
            int(key), int(size)
        except ValueError:
            break
        payload = rest[:int(size)]
        if len(rest) < int(size) + 1:
            break
        entries.append((int(key), payload))
        body = rest[int(size) + 1:]
    return entries


def write_journal(path, entries, size_of=None):
    """Rewrites the journal with `entries` [(key, payload)]; size_of(i, size) may damage a size field."""
    data = open(path, "rb").read()
    head = data.partition(b"\n")[0] + b"\n"
    body = b""
    for i, (key, payload) in enumerate(entries):
        size = len(payload) if size_of is None else size_of(i, len(payload))
        body += f"{key} {size} {zlib.crc32(payload):08x}\n".encode() + payload + b"\n"
    open(path, "wb").write(head + body)


def case_6_journal_keys_must_match_rows():
    out, args = journal_with_rows("case6", 3)
    entries = journal_entries(out + ".partial")
    if not check("case 6: a journal of 3 rows", entries is not None and len(entries) >= 3, entries):
        return
    pristine = open(out + ".partial", "rb").read()
    write_journal(out + ".partial", entries + [(1000, entries[0][1])])
    run = launch(BINARY, 0, args + ["--resume"], mpiexec=MPIEXEC)
    check("case 6 key 1000: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    check("case 6 key 1000: names the entry", "entry 4" in run.stderr and "1000" in run.stderr, run.stderr)
    open(out + ".partial", "wb").write(pristine)
    moved = [(0, entries[0][1]), (1, entries[0][1])] + entries[2:]
    write_journal(out + ".partial", moved)
    run = launch(BINARY, 0, args + ["--resume"], mpiexec=MPIEXEC)
    check("case 6 key 1 holds task 0: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    check("case 6 key 1 holds task 0: names the entry", "entry 2" in run.stderr, run.stderr)


def case_7_damaged_size_in_the_middle():
    out, args = journal_with_rows("case7", 5)
    entries = journal_entries(out + ".partial")
    if not check("case 7: a journal of 5 rows", entries is not None and len(entries) >= 5, entries):
        return
    write_journal(out + ".partial", entries, size_of=lambda i, size: size + 9000 if i == 1 else size)
    run = launch(BINARY, 0, args + ["--resume"], mpiexec=MPIEXEC)
    check("case 7: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    check("case 7: names entry 2", "entry 2" in run.stderr, run.stderr)
    # A torn last entry is still only cut off.
    write_journal(out + ".partial", entries, size_of=lambda i, size: size + 9000 if i == len(entries) - 1 else size)
    run = launch(BINARY, 0, args + ["--resume", "--json"], mpiexec=MPIEXEC, timeout=120)
    check("case 7 torn tail: not refused", run.returncode != 2, f"rc {run.returncode}: {run.stderr}")


def case_8_exec_fresh():
    out, args = journal_with_rows("case8", 2)
    check("case 8: a journal to discard", os.path.exists(out + ".partial"))
    # The last command sleeps a minute: replace it first.
    tasks = args[args.index("--tasks") + 1]
    with open(tasks, "w") as f:
        f.write("echo 0\necho 1\necho 2\n")
    run = launch(BINARY, 0, args + ["--fresh"], mpiexec=MPIEXEC)
    check("case 8: --fresh exit 0", run.returncode == 0, f"rc {run.returncode}: {run.stderr}")
    check("case 8: no journal left", not os.path.exists(out + ".partial"))
    check("case 8: three rows", len(rows(out)) == 3, rows(out) if os.path.exists(out) else "no output")


def case_9_planted_link_and_fifo_in_output_dir():
    folder = os.path.join(TMP, "case9-dir")
    os.makedirs(folder)
    target = os.path.join(TMP, "case9-target")
    open(target, "w").write("precious\n")
    os.symlink(target, os.path.join(folder, "0.stdout"))
    os.mkfifo(os.path.join(folder, "1.stdout"))
    tasks = task_file("case9", ["echo zero", "echo one", "echo two"])
    for np in (0, 3):
        run = launch(BINARY, np, ["exec", "--tasks", tasks, "--output-dir", folder, "--on-error", "continue",
                                  "--json"], mpiexec=MPIEXEC, timeout=120)
        check(f"case 9 np {np}: exit 1", run.returncode == 1, f"rc {run.returncode}: {run.stderr}")
        check(f"case 9 np {np}: the link's target untouched", open(target).read() == "precious\n")
        check(f"case 9 np {np}: says it is a link", "symbolic link" in run.stderr, run.stderr)
        check(f"case 9 np {np}: says the FIFO is not a regular file",
              "1.stdout" in run.stderr and ("not a regular file" in run.stderr or "No such device" in run.stderr),
              run.stderr)
        check(f"case 9 np {np}: task 2 ran", open(os.path.join(folder, "2.stdout")).read() == "two\n")
        if run.returncode == 1:
            summary = json.loads(run.stdout.strip().splitlines()[-1])
            check(f"case 9 np {np}: commands_failed counts the two that could not start",
                  summary.get("commands_failed") == 2, summary)


def case_10_out_names_an_input():
    tasks = task_file("case10", ["echo a"])
    before = open(tasks).read()
    run = launch(BINARY, 0, ["exec", "--tasks", tasks, "--out", tasks], mpiexec=MPIEXEC)
    check("case 10 exec: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    check("case 10 exec: the task file kept", open(tasks).read() == before)
    numbers = os.path.join(TMP, "case10-numbers.txt")
    open(numbers, "w").write("5 6 7\n")
    link = os.path.join(TMP, "case10-link.txt")
    os.symlink(numbers, link)
    for out in (numbers, link):
        run = launch(BINARY, 3, ["factorial", "--numbers-file", numbers, "--out", out], mpiexec=MPIEXEC)
        check(f"case 10 factorial --out {out}: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
        check("case 10 factorial: the numbers kept", open(numbers).read() == "5 6 7\n")
    help_run = launch(BINARY, 0, ["reposts", "--help"], mpiexec=MPIEXEC)
    if help_run.returncode == 0:
        mids = os.path.join(TMP, "case10-mids.txt")
        open(mids, "w").write("4000000000000001\n")
        run = launch(BINARY, 0, ["reposts", "--mids-file", mids, "--out", mids, "--base-url", "http://127.0.0.1:9"],
                     mpiexec=MPIEXEC)
        check("case 10 reposts: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
        check("case 10 reposts: the ids kept", open(mids).read() == "4000000000000001\n")


def case_11_one_writer_owns_stdout():
    tasks = task_file("case11", ["head -c 60000 /dev/zero | tr '\\0' x; echo"] * 4)
    for attempt in range(3):
        target = os.path.join(TMP, f"case11-{attempt}.txt")
        with open(target, "w") as f:
            run = subprocess.run([MPIEXEC, "--oversubscribe", "-np", "3", BINARY, "exec", "--tasks", tasks, "--json"],
                                 stdout=f, stderr=subprocess.PIPE, text=True, env=ENV, timeout=120)
        check(f"case 11 exec run {attempt}: exit 0", run.returncode == 0, run.stderr)
        text = open(target).read()
        last = text.rstrip("\n").splitlines()[-1] if text.strip() else ""
        check(f"case 11 exec run {attempt}: the summary is whole and last", last.startswith('{"'), last[:200])
        check(f"case 11 exec run {attempt}: every command's output", text.count("x" * 60000) == 4, len(text))
    target = os.path.join(TMP, "case11-factorial.txt")
    with open(target, "w") as f:
        run = subprocess.run([MPIEXEC, "--oversubscribe", "-np", "3", BINARY, "factorial", "--upto", "300", "--out",
                              "/dev/stdout", "--json"], stdout=f, stderr=subprocess.PIPE, text=True, env=ENV,
                             timeout=120)
    text = open(target).read()
    if run.returncode == 0:
        last = text.rstrip("\n").splitlines()[-1]
        check("case 11 factorial: the summary is whole and last", last.startswith('{"job"'), last[:200])
        check("case 11 factorial: every result", len(text.splitlines()) == 301, len(text.splitlines()))
    else:
        check("case 11 factorial: refused as one file", run.returncode == 2 and "same file" in run.stderr,
              f"rc {run.returncode}: {run.stderr}")


def case_12_max_rps_holds_with_inflight():
    if launch(BINARY, 0, ["reposts", "--help"], mpiexec=MPIEXEC).returncode != 0:
        return  # built without the reposts job
    from reposts_cli_test import MID, Mock, run
    # One worker keeps 4 requests in flight at --max-rps 1.5; the mock refuses the 3rd request in any second.
    # Paced, 3 requests span 1.4 s: 0.4 s of jitter cannot put them in one second; two sent together can.
    mock = Mock(BINARY, "--rate-limit", "2", "--rate-window", "1")
    result, _ = run(BINARY, MPIEXEC, ["--mid", str(MID), "--api-base", mock.url, "--count", "50", "--max-pages", "20",
                                      "--max-rps", "1.5", "--inflight", "4", "--variant", "imap_unordered", "--out",
                                      "/dev/null", "--json"], np=2, timeout=180)
    log = mock.stop()
    check("case 12: exit 0", result.returncode == 0, result.stderr)
    refused = re.search(r"\((\d+) pages, (\d+) refused", log)
    check("case 12: the mock refused none", refused is not None and refused.group(2) == "0", log[-400:])


def case_13_compare_checks_its_writes():
    for option in ("--csv", "--json-out"):
        run = launch(BINARY, 3, ["compare", "factorial", "--upto", "30", "--repeat", "1", option, "/dev/full"],
                     mpiexec=MPIEXEC, timeout=180)
        if "unknown command" in run.stderr or "compare" not in run.stderr + run.stdout and run.returncode == 2:
            return
        check(f"case 13 {option} /dev/full: exit 1", run.returncode == 1, f"rc {run.returncode}: {run.stderr}")
        check(f"case 13 {option} /dev/full: says so", "No space left on device" in run.stderr, run.stderr)


def weak_number_options_refuse_nan_and_infinity():
    tasks = task_file("weak-nan", ["true"])
    for option, value in (("--task-timeout", "nan"), ("--drain-seconds", "inf"), ("--progress-interval", "-inf"),
                          ("--task-timeout", "NaN")):
        run = launch(BINARY, 0, ["exec", "--tasks", tasks, option, value], mpiexec=MPIEXEC)
        check(f"weak {option} {value}: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    help_run = launch(BINARY, 0, ["reposts", "--help"], mpiexec=MPIEXEC)
    if help_run.returncode == 0:
        run = launch(BINARY, 0, ["reposts", "--mid", "1", "--max-rps", "nan"], mpiexec=MPIEXEC)
        check("weak --max-rps nan: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")


def weak_tasks_from_dev_zero_are_capped():
    run = launch(BINARY, 0, ["exec", "--tasks", "/dev/zero"], mpiexec=MPIEXEC, timeout=120)
    check("weak --tasks /dev/zero: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    check("weak --tasks /dev/zero: says the cap", "64 MiB" in run.stderr, run.stderr)


def weak_resume_notices_changed_inputs():
    label = "weak-changed"
    out, args = journal_with_rows(label, 2)
    tasks = args[args.index("--tasks") + 1]
    commands = open(tasks).read()
    # One comment line more: every command keeps its text but moves a line down.
    open(tasks, "w").write("# a comment\n" + commands)
    run = launch(BINARY, 0, args + ["--resume"], mpiexec=MPIEXEC)
    check("weak changed task file: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")
    open(tasks, "w").write(commands)
    folder = os.path.join(TMP, label + "-dir")
    run = launch(BINARY, 0, args + ["--resume", "--output-dir", folder], mpiexec=MPIEXEC)
    check("weak new --output-dir: exit 2", run.returncode == 2, f"rc {run.returncode}: {run.stderr}")


def weak_sigusr1_while_reading_input():
    proc = subprocess.Popen([BINARY, "exec", "--tasks", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)

    def handles_usr1():
        try:
            caught = [line for line in open(f"/proc/{proc.pid}/status") if line.startswith("SigCgt:")]
        except OSError:
            return False
        return bool(caught) and int(caught[0].split()[1], 16) & (1 << (signal.SIGUSR1 - 1))

    if not check("weak SIGUSR1 while reading: handlers installed", wait_while_running(handles_usr1, proc, 60)):
        proc.kill()
        proc.communicate()
        return
    os.kill(proc.pid, signal.SIGUSR1)
    out, err = proc.communicate("echo one\necho two\n", timeout=60)
    check("weak SIGUSR1 while reading: exit 75", proc.returncode == 75, f"rc {proc.returncode}: {err}")


def weak_imap_stop_keeps_every_finished_row():
    label = "weak-imap-stop"
    log = os.path.join(TMP, label + ".log")
    out = os.path.join(TMP, label + ".jsonl")
    folder = os.path.join(TMP, label + "-dir")
    os.makedirs(os.path.join(folder, "6.stdout"))  # task 6 cannot start: its output file is a folder
    commands = [logged_command(log, 0.2) for _ in range(29)]
    run = launch(BINARY, 3, exec_args(label, task_file(label, commands), out, "--variant", "imap",
                                      "--on-error", "stop", "--output-dir", folder), mpiexec=MPIEXEC, timeout=120)
    check(f"{label}: exit 1", run.returncode == 1, f"rc {run.returncode}: {run.stderr}")
    finished = {task for what, task in log_events(log) if what == "end"}
    kept = {key for key, _ in journal_entries(out + ".partial") or []}
    check(f"{label}: every finished command's row kept", finished <= kept, (sorted(finished), sorted(kept)))


def main():
    cases = [(name, fn) for name, fn in sorted(globals().items())
             if name.startswith(("case_", "weak_")) and callable(fn)]
    only = os.environ.get("NOTHING_LOST_ONLY")
    if only:
        cases = [(name, fn) for name, fn in cases if re.search(only, name)]
    code = check.run(cases, f"ok: {len(cases)} cases")
    if code == 0:
        subprocess.run(["rm", "-rf", TMP])
    return code


if __name__ == "__main__":
    sys.exit(main())
