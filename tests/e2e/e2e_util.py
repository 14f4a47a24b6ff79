"""Helpers the end-to-end tests share: launching rankpool under mpirun, collecting checks, the
scaffolding of main(), and the one check of a factorial output file."""
import decimal
import json
import os
import subprocess

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_orte_base_help_aggregate="0")


def launch(binary, np, args, timeout=60, mpiexec="mpiexec", env=None, stdin=subprocess.DEVNULL):
    """Runs rankpool on np ranks (np 0: without mpirun). Returns CompletedProcess."""
    cmd = [binary] + args if np == 0 else [mpiexec, "--oversubscribe", "-np", str(np), binary] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or ENV, stdin=stdin)


def last_json(stdout):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON summary in: " + stdout)


def rankpool_error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("rankpool: error:")]


class Checks(list):
    """The failures of one test, in order: call it with (label, condition, detail) to check, or
    append a failure's text directly. LIMIT cuts each checked failure's text to that many characters."""

    def __init__(self, limit=None):
        super().__init__()
        self.limit = limit

    def __call__(self, label, condition, detail=""):
        if not condition:
            self.append(f"{label}: {str(detail)[-800:]}"[:self.limit])
        return bool(condition)

    @property
    def failures(self):
        return self

    def run(self, tests, ok_message):
        """Runs each (name, callable); prints the failures or ok_message. Returns the exit code."""
        for name, test in tests:
            try:
                test()
            except Exception as error:  # one broken case must not hide the others
                self.append(f"{name}: {type(error).__name__}: {error}")
        return finish(self, ok_message)


def finish(failures, ok_line, sep="\n"):
    """Prints the failures, or OK_LINE when there are none; returns the exit status."""
    if failures:
        print(sep.join(failures))
        return 1
    print(ok_line)
    return 0


def run_cases(cases, failures):
    """Runs each (name, case) in turn; an exception fails that case alone, appended to FAILURES (one broken
    case must not hide the others)."""
    for name, case in cases:
        try:
            case()
        except Exception as error:
            failures.append(f"{name}: {type(error).__name__}: {error}")


def run_checks(body, ok_message, limit=None):
    """The main() of an end-to-end test: BODY(check) runs the checks (check is a Checks);
    prints each failure, or "ok: OK_MESSAGE"; returns the exit status."""
    check = Checks(limit)
    body(check)
    return finish(check, f"ok: {ok_message}")


def factorial_file_problem(path, numbers):
    """None when PATH holds exactly "n<TAB>n!\\n" for each n of NUMBERS, in order, else the first
    difference. Exact factorials come from the decimal module: integer arithmetic with a trap on
    any rounding, and decimal strings in linear time (str(int) is quadratic and refuses more than
    4300 digits)."""
    exact = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX,
                            traps=[decimal.Inexact, decimal.Rounded, decimal.Overflow])
    numbers = list(numbers)
    value, at = decimal.Decimal(1), 0
    try:
        f = open(path, "rb")
    except OSError as e:
        return f"{path}: {e.strerror}"
    with f:
        for line_no, n in enumerate(numbers, start=1):
            line = f.readline()
            if not line:
                return f"{path}: {line_no - 1} lines, expected {len(numbers)}"
            if n < at:
                value, at = decimal.Decimal(1), 0
            while at < n:
                at += 1
                value = exact.multiply(value, at)
            if line == f"{n}\t{value}\n".encode("ascii"):
                continue
            fields = line.split(b"\t")
            if len(fields) != 2 or fields[0] != str(n).encode("ascii"):
                return f"{path} line {line_no}: expected 'n<TAB>n!' for n={n}, got {line[:60]!r}"
            digits = fields[1].rstrip(b"\r\n\t ")
            if digits != str(value).encode("ascii"):
                return f"{path} line {line_no}: {n}! differs from the exact value"
            return f"{path} line {line_no}: {fields[1][len(digits):]!r} after the digits, expected b'\\n'"
        if f.readline():
            return f"{path}: more than {len(numbers)} lines"
    return None


# --- shared by the tests that race signals and check many cases -------------------------------

def start_detached(binary, mpiexec, np, args, env=None, stdout=subprocess.PIPE, cwd=None):
    """Starts rankpool (np 0: without mpirun) in a session of its own; returns the Popen."""
    cmd = [binary] + args if np == 0 else [mpiexec, "--oversubscribe", "-np", str(np), binary] + args
    return subprocess.Popen(cmd, env=env or ENV, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, cwd=cwd)


def wait_while_running(condition, proc, seconds=120):
    """Polls condition() until it holds (True) or proc ends or the time is up (False)."""
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def collect(proc, seconds=120):
    """Waits for proc; kills its session if it outlives `seconds`. Returns (code, out, err, timed_out)."""
    import signal as signals
    try:
        out, err = proc.communicate(timeout=seconds)
        return proc.returncode, out, err, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signals.SIGKILL)
        out, err = proc.communicate()
        return proc.returncode, out, err, True


def processes_matching(marker):
    """Pids of the processes whose command line holds `marker`."""
    return subprocess.run(["pgrep", "-f", "--", marker], capture_output=True, text=True).stdout.split()


def wait_gone(marker, seconds=30):
    """Waits until no process's command line holds `marker`; True if none is left."""
    import time
    deadline = time.monotonic() + seconds
    while processes_matching(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not processes_matching(marker)


def lines_of(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def logged_command(log, seconds):
    """A shell command for `rankpool exec` that logs its start and its end (task from RANKPOOL_TASK)."""
    return f'echo "start $RANKPOOL_TASK" >> {log}; sleep {seconds}; echo "end $RANKPOOL_TASK" >> {log}'


def log_events(log):
    """The [(what, task)] a log of logged_command holds, in order."""
    out = []
    for line in lines_of(log):
        what, _, task = line.partition(" ")
        if what in ("start", "end") and task.isdigit():
            out.append((what, int(task)))
    return out


def ran_once_each(log, count):
    """Problems with a log of logged_command over tasks 0..count-1: a command that started again after it
    ended (ran twice), or one that never ended (lost). [] when there are none."""
    ended = {}
    problems = []
    for what, task in log_events(log):
        if task in ended:
            problems.append(f"task {task} {what} again after it ended")
        if what == "end":
            ended[task] = True
    lost = sorted(set(range(count)) - set(ended))
    if lost:
        problems.append(f"never finished: {lost}")
    return problems
