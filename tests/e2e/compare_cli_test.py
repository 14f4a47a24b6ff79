"""End to end: `rankpool compare` prints a row for every variant and pool size.

usage: compare_cli_test.py RANKPOOL MPIEXEC
"""
import csv
import os
import signal
import subprocess
import sys
import tempfile

from e2e_util import ENV, launch, run_checks

VARIANTS = ["serial", "apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]


def table_rows(stdout):
    rows = [line.split("|")[1:-1] for line in stdout.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row] for row in rows[1:]]


def check_table(label, stdout, pools, check):
    rows = table_rows(stdout)
    want = [("serial", "—")] + [(v, str(p)) for v in VARIANTS[1:] for p in pools]
    got = [(row[0], row[1]) for row in rows]
    check(label, got == want, f"rows {got}, want {want}")


def main(check):
    binary, mpiexec = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, "factorial.csv")
        result = launch(binary, 5, ["compare", "factorial", "--upto", "100", "--csv", table], mpiexec=mpiexec)
        if check("factorial", result.returncode == 0, result.stderr):
            check_table("factorial", result.stdout, [4], check)
            with open(table) as f:
                check("factorial", len(list(csv.DictReader(f))) == 7, "csv rows")
            check("factorial", "594 µs" in result.stdout, "the 2014 post's serial figure is missing")

        mock = subprocess.Popen([binary, "mock-weibo", "--port", "0", "--latency-ms", "20"], env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = mock.stdout.readline().strip()
        env = dict(ENV, WEIBO_ACCESS_TOKEN="compare-token")
        result = launch(binary, 11, ["compare", "reposts", "--mid", "3664072912104801", "--api-base", url,
                                     "--pools", "1,2,4,10", "--repeat", "1"], mpiexec=mpiexec, env=env, timeout=240)
        mock.send_signal(signal.SIGTERM)
        mock.wait(timeout=10)
        if check("reposts", result.returncode == 0, result.stderr):
            check_table("reposts", result.stdout, [1, 2, 4, 10], check)

        result = launch(binary, 3, ["compare", "factorial", "--upto", "10", "--pools", "1,5"], mpiexec=mpiexec)
        check("bad --pools", result.returncode == 2 and "--pools: 5 is outside 1..2" in result.stderr,
              f"rc {result.returncode} {result.stderr}")


if __name__ == "__main__":
    sys.exit(run_checks(main, "compare tables"))
