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
import urllib.parse
import urllib.request

from e2e_util import ENV, launch, last_json, rankpool_error_lines, run_checks

MID = 3664072912104801
TOTAL, REACHABLE = 2500, 2000
TOKEN = "tok-7f3a9c-secret"
VARIANTS = ["serial", "apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]


def expected_ids(mid=MID, total=TOTAL, reachable=REACHABLE):
    # The mock's k-th newest repost (k = 0 newest) has serial total-1-k and id mid + (serial+1) * 2^32.
    return [mid + (total - 1 - k + 1) * 2**32 for k in range(min(total, reachable))]


class Mock:
    def __init__(self, binary, *args, port=0):
        env = dict(ENV, WEIBO_ACCESS_TOKEN=TOKEN)
        self.proc = subprocess.Popen([binary, "mock-weibo", "--port", str(port), *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


def repost_spans(body):
    """The bytes of each object in a page's "reposts" array, as the server sent them."""
    at = body.index(b'"reposts":[') + len(b'"reposts":[')
    spans, depth, start, in_string, escaped = [], 0, None, False, False
    while True:
        c = body[at:at + 1]
        if in_string:
            if escaped:
                escaped = False
            elif c == b"\\":
                escaped = True
            elif c == b'"':
                in_string = False
        elif c == b'"':
            in_string = True
        elif c in (b"{", b"["):
            if depth == 0:
                start = at
            depth += 1
        elif c in (b"}", b"]"):
            if depth == 0:
                return spans
            depth -= 1
            if depth == 0:
                spans.append(body[start:at + 1])
        at += 1


def server_pages(url, mid, token=TOKEN, count=200):
    """Every page of a post straight from the server (urllib), until an empty one."""
    pages = []
    for page in range(1, 100):
        query = urllib.parse.urlencode({"id": mid, "count": count, "page": page, "access_token": token})
        with urllib.request.urlopen(f"{url}/2/statuses/repost_timeline.json?{query}", timeout=30) as answer:
            spans = repost_spans(answer.read())
        if not spans:
            return pages
        pages.append(spans)
    return pages


def largest_rss_kib(cmd, env, timeout):
    """Runs cmd; returns (CompletedProcess, the largest peak RSS among it and its descendants in KiB)."""
    probe = ("import resource, subprocess, sys\n"
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)\n"
             "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
             "sys.exit(r.returncode)\n")
    result = subprocess.run([sys.executable, "-c", probe] + cmd, capture_output=True, text=True, env=env,
                            timeout=timeout)
    lines = result.stdout.strip().splitlines()
    kib = int(lines[-1].split()[1]) if lines and lines[-1].startswith("maxrss_kib") else -1
    return result, kib


# Percent-encoding changes it, so a leak in any encoding is visible.
ECHO_TOKEN = "tok/EN+s3cr3t=="


def token_forms(token):
    quoted = urllib.parse.quote(token, safe="")
    return [token, quoted, quoted.lower(), urllib.parse.quote_plus(token), "s3cr3t"]


def hostile_inputs(binary, mpiexec, tmp, check, reference, artifacts):
    """Deleted posts, echoed tokens, hostile numbers, odd order and bytes, memory, endless input files."""
    mids = [MID, MID + 1, MID + 2, MID + 3]
    mids_file = os.path.join(tmp, "four.txt")
    with open(mids_file, "w") as f:
        f.write("".join(f"{m}\n" for m in mids))
    every_id = [i for m in mids for i in expected_ids(m)]

    # A deleted post among four, --on-error continue: the other three whole, in FILE; the failed one named; exit 1.
    deleted = Mock(binary, "--latency-ms", "0", "--missing-ids", str(MID + 2))
    out = os.path.join(tmp, "continue.jsonl")
    args = ["--mids-file", mids_file, "--api-base", deleted.url, "--variant", "imap_unordered", "--inflight", "4",
            "--on-error", "continue", "--out", out, "--json"]
    result, _ = run(binary, mpiexec, args, np=3)
    check("deleted post exit 1", result.returncode == 1, result.stderr)
    check("deleted post: others whole", os.path.exists(out) and ids_of(out) == [
        i for m in mids if m != MID + 2 for i in expected_ids(m)], result.stderr)
    check("deleted post named", f"posts failed, the others were fetched whole: {MID + 2}" in result.stderr,
          result.stderr)
    summary = last_json(result.stdout) if "{" in result.stdout else {}
    check("deleted post in --json", summary.get("failed_posts") == [MID + 2] and summary.get("reposts") == 6000,
          summary)
    check("deleted post: journal kept", os.path.exists(out + ".partial"))
    result, _ = run(binary, mpiexec, args + ["--resume"], np=3)
    check("resume, still deleted", result.returncode == 1 and ids_of(out) == [
        i for m in mids if m != MID + 2 for i in expected_ids(m)], result.stderr)
    deleted.stop()
    # The same server (same URL: the journal belongs to this run), the post restored.
    restored = Mock(binary, "--latency-ms", "0", port=int(deleted.url.rsplit(":", 1)[1]))
    result, _ = run(binary, mpiexec, args + ["--resume"], np=3)
    check("resume after the post came back", result.returncode == 0 and ids_of(out) == every_id, result.stderr)
    if result.returncode == 0:
        check("resume fetched only the deleted post", last_json(result.stdout)["tasks"] == 10, result.stdout)
    restored.stop()

    # A token the server echoes, %-escaped in lower or upper case, or with '+': never printed, traced or summarized.
    for mode in ["lower", "upper", "plus"]:
        echo = Mock(binary, "--latency-ms", "0", "--echo-token", mode)
        trace = os.path.join(tmp, f"echo-{mode}.trace.json")
        result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", echo.url, "--json", "--trace",
                                          "--trace-out", trace], np=3, token=ECHO_TOKEN)
        check(f"echo {mode} exit", result.returncode == 1 and "access_token *** is not accepted" in result.stderr,
              result.stderr)
        texts = [result.stdout, result.stderr, open(trace).read() if os.path.exists(trace) else ""]
        for form in token_forms(ECHO_TOKEN):
            check(f"echo {mode}: token leaked as {form}", all(form not in text for text in texts), result.stderr)
        echo.stop()

    # Retry-After: 9223372036854775807 (signed overflow in the backoff before; the sanitize preset runs this too).
    hostile = Mock(binary, "--latency-ms", "0", "--fail-rate", "0.3", "--seed", "5",
                   "--retry-after", "9223372036854775807")
    out = os.path.join(tmp, "retry-after.jsonl")
    result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", hostile.url, "--retries", "30",
                                      "--max-backoff", "0.05", "--out", out, "--json"], np=3)
    check("huge Retry-After exit", result.returncode == 0, result.stderr)
    check("huge Retry-After: no undefined behaviour", "runtime error" not in result.stderr, result.stderr)
    if result.returncode == 0:
        check("huge Retry-After output", open(out, "rb").read() == reference)
        check("huge Retry-After retried", last_json(result.stdout)["retries"] > 0, result.stdout)
    hostile.stop()

    # Pages in reverse order, each page oldest first: the output is still newest first, the same bytes.
    shuffled = Mock(binary, "--latency-ms", "0", "--out-of-order")
    out = os.path.join(tmp, "out-of-order.jsonl")
    result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", shuffled.url, "--variant", "apply_async",
                                      "--out", out], np=3)
    check("out of order exit", result.returncode == 0, result.stderr)
    if result.returncode == 0:
        check("out of order: newest first", ids_of(out) == expected_ids())
        check("out of order: same bytes", open(out, "rb").read() == reference)
    shuffled.stop()

    # One repost per page holds bytes that are not UTF-8 and an escaped lone surrogate: replaced / kept, no failure.
    odd = Mock(binary, "--latency-ms", "0", "--bad-text")
    out = os.path.join(tmp, "bad-text.jsonl")
    result, _ = run(binary, mpiexec, ["--mid", str(MID), "--api-base", odd.url, "--out", out], np=3)
    check("bad text exit", result.returncode == 0, result.stderr)
    if result.returncode == 0:
        raw = open(out, "rb").read().splitlines()
        bad = [line for line in raw if b'"bad_text"' in line]
        check("bad text: every repost there", len(raw) == 2000 and len(bad) == 10, f"{len(raw)} {len(bad)}")
        for line in bad:
            text = line.decode("utf-8")  # raises if anything but UTF-8 was written
            value = json.loads(text)["bad_text"]
            check("bad text replaced", "\ufffd" in value and "\ud800" in value and "\\ud800" in text, text[:200])
    odd.stop()

    # Byte for byte what the server sent, numbers included (1E2, a 30-digit number, -0.50e-3).
    numbers = Mock(binary, "--latency-ms", "0", "--odd-numbers")
    out = os.path.join(tmp, "odd-numbers.jsonl")
    mids_two = os.path.join(tmp, "two.txt")
    with open(mids_two, "w") as f:
        f.write(f"{MID}\n{MID + 1}\n")
    result, _ = run(binary, mpiexec, ["--mids-file", mids_two, "--api-base", numbers.url, "--variant", "map",
                                      "--out", out], np=3)
    check("odd numbers exit", result.returncode == 0, result.stderr)
    if result.returncode == 0:
        sent = b"".join(span + b"\n" for mid in (MID, MID + 1) for page in server_pages(numbers.url, mid)
                        for span in page)
        got = open(out, "rb").read()
        check("output is the server's bytes", got == sent and b'"score":1E2,"big_number":123456789012345678901234567890'
              in got, f"{len(got)} vs {len(sent)} bytes")
    numbers.stop()

    # 32 answers of 60 MB in flight on one worker: the 64 MiB cap covers them all. Stated bound: every rankpool
    # process (master, worker, mpirun) peaks under 512 MiB; with a cap per transfer the worker held > 1 GB.
    big = Mock(binary, "--latency-ms", "0", "--pad-bytes", "60000000", "--total", "6400", "--reachable", "6400")
    env = dict(ENV, WEIBO_ACCESS_TOKEN=TOKEN)
    # A sanitized build keeps freed memory in quarantine; keep that small so the bound means the same.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=16"]))
    cmd = [mpiexec, "--oversubscribe", "-np", "2", binary, "reposts", "--mid", str(MID), "--api-base", big.url,
           "--variant", "imap_unordered", "--inflight", "32", "--max-pages", "32", "--out", os.devnull, "--json"]
    result, kib = largest_rss_kib(cmd, env, timeout=600)
    check("60 MB answers exit", result.returncode == 0, result.stderr)
    if result.returncode == 0:
        check("60 MB answers: all pages", last_json(result.stdout)["pages"] == 32, result.stdout)
    check("60 MB answers: memory under 512 MiB", 0 < kib < 512 * 1024, f"peak RSS {kib} KiB")
    big.stop()

    # Endless input files fail at once with one line, exit 2.
    for args, name in [(["--mids-file", "/dev/zero"], "mids file"), (["--mid", "5", "--token-file", "/dev/zero"],
                                                                     "token file")]:
        result, _ = run(binary, mpiexec, args, np=3, timeout=60)
        lines = rankpool_error_lines(result.stderr)
        check(f"/dev/zero as {name}", result.returncode == 2 and len(lines) == 1 and "larger than the limit" in lines[0],
              f"rc {result.returncode} {result.stderr}")


def main(check):
    binary, mpiexec = sys.argv[1], sys.argv[2]
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
        os.chmod(token_file, 0o644)
        result, _ = run(binary, mpiexec, base + ["--token-file", token_file, "--json"], token=None)
        check("token file", result.returncode == 0 and last_json(result.stdout)["reposts"] == 2000, result.stderr)
        check("token file readable by others: warned", "rankpool: warning: token file" in result.stderr, result.stderr)
        os.chmod(token_file, 0o600)
        result, _ = run(binary, mpiexec, base + ["--token-file", token_file], token=None)
        check("token file 600: no warning", result.returncode == 0 and "warning" not in result.stderr, result.stderr)

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

        hostile_inputs(binary, mpiexec, tmp, check, reference, artifacts)

        # Failures: a clear line, exit 1, quickly, every rank gone.
        result, took = run(binary, mpiexec, base + ["--retries", "1"], token="wrong-token")
        lines = rankpool_error_lines(result.stderr)
        check("bad token", result.returncode == 1 and len(lines) == 1 and "invalid access token" in lines[0],
              f"rc {result.returncode} {took:.1f}s {result.stderr}")
        check("bad token not echoed", "wrong-token" not in result.stderr + result.stdout)
        result, took = run(binary, mpiexec, ["--mid", str(MID), "--api-base", "http://127.0.0.1:9", "--retries", "1",
                                             "--connect-timeout", "1"])
        lines = rankpool_error_lines(result.stderr)
        check("unreachable", result.returncode == 1 and len(lines) == 1,
              f"rc {result.returncode} {took:.1f}s {result.stderr}")
        stalled = Mock(binary, "--latency-ms", "0", "--stall-rate", "1", "--stall-ms", "60000")
        result, took = run(binary, mpiexec, ["--mid", str(MID), "--api-base", stalled.url, "--retries", "1",
                                             "--timeout", "1"])
        lines = rankpool_error_lines(result.stderr)
        check("never answers", result.returncode == 1 and len(lines) == 1 and "timed out" in lines[0].lower(),
              f"rc {result.returncode} {took:.1f}s {result.stderr}")
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
            check("bad " + " ".join(args), result.returncode == 2 and len(lines) == 1 and expect in lines[0],
                  f"rc {result.returncode} {took:.1f}s {result.stderr}")
        result, _ = run(binary, mpiexec, ["--mid", "5"], np=3, token=None)
        check("no token", result.returncode == 2 and "WEIBO_ACCESS_TOKEN" in result.stderr, result.stderr)

        # The token appears in no output, log, trace or error message.
        for item in artifacts:
            text = open(item, encoding="utf-8", errors="replace").read() if os.path.exists(item) else item
            check("token leaked", TOKEN not in text, item[:80])


if __name__ == "__main__":
    sys.exit(run_checks(main, "reposts end to end", limit=600))
