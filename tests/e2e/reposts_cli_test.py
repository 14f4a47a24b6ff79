"""End to end: `rankpool reposts` against the embedded API server.

usage: reposts_cli_test.py RANKPOOL MPIEXEC
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from e2e_util import ENV, launch, last_json, rankpool_error_lines

MID = 3664072912104801
TOTAL, REACHABLE = 2500, 2000
TOKEN = "tok-7f3a9c-secret"
VARIANTS = ["serial", "apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]


def expected_ids(mid=MID, total=TOTAL, reachable=REACHABLE):
    # The mock's k-th newest repost (k = 0 newest) has serial total-1-k and id mid + (serial+1) * 2^32.
    return [mid + (total - 1 - k + 1) * 2**32 for k in range(min(total, reachable))]


class Mock:
    def __init__(self, binary, *args):
        env = dict(ENV, WEIBO_ACCESS_TOKEN=TOKEN)
        self.proc = subprocess.Popen([binary, "mock-weibo", "--port", "0", *args], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), self.url

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("mock-weibo did not stop on SIGTERM")
        return out + err


def run(binary, mpiexec, args, np=5, token=TOKEN, timeout=120):
    env = dict(ENV)
    env.pop("WEIBO_ACCESS_TOKEN", None)
    if token is not None:
        env["WEIBO_ACCESS_TOKEN"] = token
    started = time.monotonic()
    result = launch(binary, np, ["reposts"] + args, mpiexec=mpiexec, env=env, timeout=timeout)
    return result, time.monotonic() - started


def ids_of(path):
    with open(path) as f:
        return [json.loads(line)["id"] for line in f]


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    failures = []

    def check(label, ok, detail=""):
        if not ok:
            failures.append(f"{label}: {detail}"[:600])

    with tempfile.TemporaryDirectory() as tmp:
        artifacts = []
        clean = Mock(binary, "--latency-ms", "20")
        base = ["--mid", str(MID), "--api-base", clean.url]
        reference = None
        for variant in VARIANTS:
            out = os.path.join(tmp, f"{variant}.jsonl")
            result, _ = run(binary, mpiexec, base + ["--variant", variant, "--out", out, "--json"])
            check(variant + " exit", result.returncode == 0, result.stderr)
            if result.returncode != 0:
                continue
            check(variant + " ids", ids_of(out) == expected_ids(), "not the 2000 newest, in order, once")
            summary = last_json(result.stdout)
            check(variant + " summary", summary["reposts"] == 2000 and summary["pages"] == 10, summary)
            if variant != "serial":
                check(variant + " spread", "0" not in summary["tasks_per_rank"] and len(summary["tasks_per_rank"]) > 1,
                      summary["tasks_per_rank"])
            reference = reference or open(out, "rb").read()
            check(variant + " same bytes", open(out, "rb").read() == reference)
            artifacts += [out, result.stdout, result.stderr]

        # Traces and summaries never show the token.
        trace = os.path.join(tmp, "trace.json")
        result, _ = run(binary, mpiexec, base + ["--trace", "--trace-out", trace, "--json"])
        artifacts += [result.stdout, result.stderr, trace]

        # A token in a file works the same.
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        result, _ = run(binary, mpiexec, base + ["--token-file", token_file, "--json"], token=None)
        check("token file", result.returncode == 0 and last_json(result.stdout)["reposts"] == 2000, result.stderr)

        # Reposts that arrive while paging shift the pages: each id still once.
        moving = Mock(binary, "--latency-ms", "5", "--new-reposts-per-request", "7")
        out = os.path.join(tmp, "moving.jsonl")
        result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", moving.url, "--variant", "imap_unordered",
                                          "--out", out])
        check("moving exit", result.returncode == 0, result.stderr)
        if result.returncode == 0:
            ids = ids_of(out)
            check("moving unique", len(ids) == len(set(ids)) and len(ids) > 1800, f"{len(ids)} ids")
            check("moving newest first", ids == sorted(ids, reverse=True), "not newest first")
        moving.stop()

        # Faults: 20 % HTTP 500, 5 % truncated bodies and a rate limit: same output, retries counted.
        faulty = Mock(binary, "--latency-ms", "5", "--fail-rate", "0.2", "--truncate-rate", "0.05", "--seed", "7",
                      "--rate-limit", "12", "--rate-window", "1")
        for variant in ["apply_async", "map"]:
            out = os.path.join(tmp, f"faulty-{variant}.jsonl")
            result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", faulty.url, "--variant", variant,
                                              "--out", out, "--json", "--retries", "12"])
            check("faults exit " + variant, result.returncode == 0, result.stderr)
            if result.returncode == 0:
                check("faults same output " + variant, open(out, "rb").read() == reference)
                check("faults retries " + variant, last_json(result.stdout)["retries"] > 0, result.stdout)
            artifacts += [result.stdout, result.stderr]
        faulty.stop()

        # Failures: a clear line, exit 1, quickly, every rank gone.
        result, took = run(binary, mpiexec, base + ["--retries", "1"], token="wrong-token")
        lines = rankpool_error_lines(result.stderr)
        check("bad token", result.returncode == 1 and len(lines) == 1 and "invalid access token" in lines[0]
              and took < 15, f"rc {result.returncode} {took:.1f}s {result.stderr}")
        check("bad token not echoed", "wrong-token" not in result.stderr + result.stdout)
        result, took = run(binary, mpiexec, ["--mid", str(MID), "--api-base", "http://127.0.0.1:9", "--retries", "1",
                                             "--connect-timeout", "1"])
        lines = rankpool_error_lines(result.stderr)
        check("unreachable", result.returncode == 1 and len(lines) == 1 and took < 15,
              f"rc {result.returncode} {took:.1f}s {result.stderr}")
        stalled = Mock(binary, "--latency-ms", "0", "--stall-rate", "1", "--stall-ms", "60000")
        result, took = run(binary, mpiexec, ["--mid", str(MID), "--api-base", stalled.url, "--retries", "1",
                                             "--timeout", "1"])
        lines = rankpool_error_lines(result.stderr)
        check("never answers", result.returncode == 1 and len(lines) == 1 and "timed out" in lines[0].lower()
              and took < 15, f"rc {result.returncode} {took:.1f}s {result.stderr}")
        # This run's ranks only: other runs may share the machine.
        leftover = subprocess.run(["pgrep", "-f", "--", "--api-base " + stalled.url], capture_output=True,
                                  text=True).stdout
        stalled.stop()
        check("every rank gone", leftover.strip() == "", leftover)

        # Resume: kill a run halfway, resume, byte-identical output.
        slow = Mock(binary, "--latency-ms", "300")
        out = os.path.join(tmp, "resumed.jsonl")
        proc = subprocess.Popen([mpiexec, "--oversubscribe", "-np", "3", binary, "reposts", "--mid", str(MID),
                                 "--api-base", slow.url, "--variant", "apply", "--out", out],
                                env=dict(ENV, WEIBO_ACCESS_TOKEN=TOKEN), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(out + ".partial") and open(out + ".partial", "rb").read().count(b'"total"') >= 4:
                break
            time.sleep(0.02)
        for pid in subprocess.run(["pgrep", "-f", "--", "--out " + out], capture_output=True, text=True).stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        proc.wait()
        check("resume interrupted", not os.path.exists(out) and os.path.exists(out + ".partial"))
        result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", slow.url, "--variant", "apply_async",
                                          "--out", out, "--resume", "--json"], np=3)
        check("resume exit", result.returncode == 0, result.stderr)
        if result.returncode == 0:
            check("resume did only the rest", last_json(result.stdout)["tasks"] < 10, result.stdout)
            check("resume identical", open(out, "rb").read() == reference)
        slow.stop()
        artifacts.append(clean.stop())

        # Bad input: exit 2, one line, nothing written.
        mids_empty = os.path.join(tmp, "empty.txt")
        open(mids_empty, "w").close()
        mids_bad = os.path.join(tmp, "bad.txt")
        with open(mids_bad, "w") as f:
            f.write("123\nabc\n")
        empty_token = os.path.join(tmp, "empty-token")
        open(empty_token, "w").close()
        bad = [
            ([], "needs --mid"),
            (["--mid", "abc"], "abc"),
            (["--mid", "-3"], "-3"),
            (["--mids-file", os.path.join(tmp, "nope.txt")], "nope.txt"),
            (["--mids-file", mids_empty], "empty.txt"),
            (["--mids-file", mids_bad], "line 2"),
            (["--mid", "5", "--api-base", "not a url"], "--api-base"),
            (["--mid", "5", "--api-base", "ftp://x"], "--api-base"),
            (["--mid", "5", "--count", "0"], "--count"),
            (["--mid", "5", "--token-file", os.path.join(tmp, "missing-token")], "missing-token"),
            (["--mid", "5", "--token-file", empty_token], "empty-token"),
            (["--mid", "5", "--token", "x"], "--token"),
            (["--mid", "5", "--out", os.path.join(tmp, "no", "dir.jsonl")], "does not exist"),
        ]
        for args, expect in bad:
            result, took = run(binary, mpiexec, args, np=3)
            lines = rankpool_error_lines(result.stderr)
            check("bad " + " ".join(args), result.returncode == 2 and len(lines) == 1 and expect in lines[0]
                  and took < 5, f"rc {result.returncode} {took:.1f}s {result.stderr}")
        result, _ = run(binary, mpiexec, ["--mid", "5"], np=3, token=None)
        check("no token", result.returncode == 2 and "WEIBO_ACCESS_TOKEN" in result.stderr, result.stderr)

        # The token appears in no output, log, trace or error message.
        for item in artifacts:
            text = open(item, encoding="utf-8", errors="replace").read() if os.path.exists(item) else item
            check("token leaked", TOKEN not in text, item[:80])

    if failures:
        print("\n".join(failures))
        return 1
    print("ok: reposts end to end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
