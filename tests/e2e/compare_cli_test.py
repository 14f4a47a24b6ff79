"""End to end: `rankpool compare` prints a row for every variant and pool size.

usage: compare_cli_test.py RANKPOOL MPIEXEC
"""
import csv
import os
import signal
import subprocess
import sys
import tempfile

from e2e_util import ENV, launch

VARIANTS = ["serial", "apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]


def table_rows(stdout):
    rows = [line.split("|")[1:-1] for line in stdout.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in row] for row in rows[1:]]


def check_table(label, stdout, pools, failures):
    rows = table_rows(stdout)
    want = [("serial", "—")] + [(v, str(p)) for v in VARIANTS[1:] for p in pools]
    got = [(row[0], row[1]) for row in rows]
    if got != want:
        failures.append(f"{label}: rows {got}, want {want}")


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, "factorial.csv")
        result = launch(binary, 5, ["compare", "factorial", "--upto", "100", "--csv", table], mpiexec=mpiexec)
        if result.returncode != 0:
            failures.append("factorial: " + result.stderr)
        else:
            check_table("factorial", result.stdout, [4], failures)
            with open(table) as f:
                if len(list(csv.DictReader(f))) != 7:
                    failures.append("factorial: csv rows")
            if "594 µs" not in result.stdout:
                failures.append("factorial: the seed's serial figure is missing")

        mock = subprocess.Popen([binary, "mock-weibo", "--port", "0", "--latency-ms", "20"], env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = mock.stdout.readline().strip()
        env = dict(ENV, WEIBO_ACCESS_TOKEN="compare-token")
        result = launch(binary, 11, ["compare", "reposts", "--mid", "3664072912104801", "--api-base", url,
                                     "--pools", "1,2,4,10", "--repeat", "1"], mpiexec=mpiexec, env=env, timeout=240)
        mock.send_signal(signal.SIGTERM)
        mock.wait(timeout=10)
        if result.returncode != 0:
            failures.append("reposts: " + result.stderr)
        else:
            check_table("reposts", result.stdout, [1, 2, 4, 10], failures)

        result = launch(binary, 3, ["compare", "factorial", "--upto", "10", "--pools", "1,5"], mpiexec=mpiexec)
        if result.returncode != 2 or "--pools: 5 is outside 1..2" not in result.stderr:
            failures.append(f"bad --pools: rc {result.returncode} {result.stderr}")
    if failures:
        print("\n".join(failures))
        return 1
    print("ok: compare tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
