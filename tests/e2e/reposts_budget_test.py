"""End to end: `--max-rps R` is one budget for the whole run, whichever workers are busy.

One busy worker of three (`--pool 1`, mpirun -np 4) at --max-rps 10 against a mock that refuses the 12th
request of a token in any 1-second window: the mock counts at least 9 requests in some window (the budget is
the run's, not a third of it) and refuses none. The same with all three workers busy. The mock does the
counting; nothing here measures time.

usage: reposts_budget_test.py RANKPOOL MPIEXEC
"""
import re
import sys

from reposts_cli_test import MID, Mock, run


def busiest_window(mock_log):
    found = re.search(r"at most (\d+) requests in any 1 s window", mock_log)
    return int(found.group(1)) if found else -1


def refused(mock_log):
    found = re.search(r"\((\d+) pages, (\d+) refused", mock_log)
    return int(found.group(2)) if found else -1


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    failures = []
    # 40 pages of 50: four seconds of budget.
    for pool, variant in [(1, "apply_async"), (3, "imap_unordered")]:
        mock = Mock(binary, "--latency-ms", "0", "--rate-limit", "11", "--rate-window", "1")
        result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", mock.url, "--count", "50", "--max-pages",
                                          "40", "--max-rps", "10", "--pool", str(pool), "--variant", variant,
                                          "--inflight", "2", "--out", "/dev/null", "--json"], np=4)
        log = mock.stop()
        label = f"--pool {pool} of 3, {variant}"
        if result.returncode != 0:
            failures.append(f"{label}: exit {result.returncode}: {result.stderr[-600:]}")
        if refused(log) != 0:
            failures.append(f"{label}: the mock refused requests: {log[-400:]}")
        if busiest_window(log) < 9:
            failures.append(f"{label}: at most {busiest_window(log)} requests in a second, want >= 9: {log[-400:]}")
    if failures:
        print("\n".join(failures))
        return 1
    print("ok: one request budget for the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
