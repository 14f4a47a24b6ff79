"""End to end: the reposts job's pacing promises, counted by the mock server itself (nothing here measures time).

budget: `--max-rps R` is one budget for the whole run, whichever workers are busy. One busy worker of three
(`--pool 1`, mpirun -np 4), then all three, at --max-rps 10 against a mock that refuses the 12th request of a
token in any 1-second window: every page is fetched and the mock refuses none, however fast or slow the
machine (the budget is a ceiling; that it is the run's and not a third of it per worker is the leases' unit
test, tests/unit/budget_test.cpp).

inflight: `--inflight K` holds in every variant, however the pages come to a worker. Two workers (mpirun -np 3)
at --inflight 5 fetch 20 pages of a post (19 after page 1) from a mock that answers after 300 ms: with
apply_async (one page per call), imap_unordered (chunks) and map (a scattered share) alike, the mock serves the
two workers' 10 requests together, never more.

usage: reposts_pacing_test.py RANKPOOL MPIEXEC budget|inflight
"""
import re
import sys

from e2e_util import run_checks
from reposts_cli_test import MID, Mock, last_json, run


def counted(pattern, mock_log, group=1):
    found = re.search(pattern, mock_log)
    return int(found.group(group)) if found else -1


def budget(binary, mpiexec, failures):
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
            continue
        if counted(r"\((\d+) pages, (\d+) refused", log, 2) != 0:
            failures.append(f"{label}: the mock refused requests: {log[-400:]}")
        summary = last_json(result.stdout)
        if summary["pages"] != 40:
            failures.append(f"{label}: {summary['pages']} pages fetched, want 40: {summary}")


def inflight(binary, mpiexec, failures):
    for variant in ["apply_async", "imap_unordered", "map"]:
        mock = Mock(binary, "--latency-ms", "300")
        result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", mock.url, "--count", "100", "--max-pages",
                                          "20", "--variant", variant, "--inflight", "5", "--out", "/dev/null",
                                          "--json"], np=3)
        log = mock.stop()
        if result.returncode != 0:
            failures.append(f"{variant}: exit {result.returncode}: {result.stderr[-600:]}")
            continue
        summary = last_json(result.stdout)
        if summary["pages"] != 20 or summary["reposts"] != 2000:
            failures.append(f"{variant}: {summary}")
        at_once = counted(r"at most (\d+) at once", log)
        if not 9 <= at_once <= 10:
            failures.append(f"{variant}: the mock served {at_once} requests at once, want 2 workers x 5: {log[-300:]}")


def main(failures):
    binary, mpiexec, case = sys.argv[1], sys.argv[2], sys.argv[3]
    {"budget": budget, "inflight": inflight}[case](binary, mpiexec, failures)


if __name__ == "__main__":
    sys.exit(run_checks(main, f"reposts pacing, {sys.argv[3]}"))
