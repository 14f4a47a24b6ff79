"""End to end: `--inflight K` holds in every variant, however the pages come to a worker.

Two workers (mpirun -np 3) at --inflight 5 fetch 20 pages of a post (19 after page 1) from a mock that answers
after 300 ms and counts the requests it serves at once: with apply_async (one page per call), imap_unordered
(chunks) and map (a scattered share) alike, the mock sees the two workers' 10 requests together, never more.
The mock does the counting; nothing here measures time.

usage: reposts_inflight_test.py RANKPOOL MPIEXEC
"""
import re
import sys

from reposts_cli_test import MID, Mock, last_json, run


def most_at_once(mock_log):
    found = re.search(r"at most (\d+) at once", mock_log)
    return int(found.group(1)) if found else -1


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    failures = []
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
        at_once = most_at_once(log)
        if not 9 <= at_once <= 10:
            failures.append(f"{variant}: the mock served {at_once} requests at once, want 2 workers x 5: {log[-300:]}")
    if failures:
        print("\n".join(failures))
        return 1
    print("ok: --inflight in every variant")
    return 0


if __name__ == "__main__":
    sys.exit(main())
