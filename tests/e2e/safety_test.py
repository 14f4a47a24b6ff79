"""End to end: nothing lost, nothing silent.

Full disks and /dev/full, planted symbolic links, an earlier journal, a tampered
journal, two outputs on one file, and a list of a million numbers from a file.

usage: safety_test.py RANKPOOL MPIEXEC
"""
import contextlib
import math
import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zlib

from e2e_util import ENV, finish, launch, rankpool_error_lines, run_cases

failures = []


def check(label, condition, detail=""):
    if not condition:
        failures.append(f"{label}: {str(detail)[-600:]}")


def remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def run_to(binary, np, args, stdout_path, mpiexec, env=None, preexec=None):
    """Runs rankpool with stdout sent to stdout_path (a file or a device)."""
    cmd = [binary] + args if np == 0 else [mpiexec, "--oversubscribe", "-np", str(np), binary] + args
    with open(stdout_path, "wb") as out:
        return subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, timeout=120, env=env or ENV,
                              stdin=subprocess.DEVNULL, preexec_fn=preexec)


@contextlib.contextmanager
def small_tmpfs(where, size="200k"):
    os.makedirs(where, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", where], check=True)


def one_error(label, run, want_code, want_text):
    lines = rankpool_error_lines(run.stderr)
    check(f"{label}: exit", run.returncode == want_code, f"rc {run.returncode}, want {want_code}; {run.stderr}")
    check(f"{label}: one error line with '{want_text}'", len(lines) == 1 and want_text in lines[0], run.stderr)


def test_full_outputs(binary, mpiexec, tmp):
    # 1500 factorials are 2.8 MB of digits: far more than 200 KiB.
    job = ["factorial", "--upto", "1500", "--variant", "imap"]
    for np in (0, 3):
        run = run_to(binary, np, job + ["--out", "-"], "/dev/full", mpiexec)
        one_error(f"np {np} --out - > /dev/full", run, 1, "cannot write stdout: No space left on device")
        run = run_to(binary, np, ["factorial", "--upto", "20", "--json"], "/dev/full", mpiexec)
        one_error(f"np {np} --json > /dev/full", run, 1, "cannot write stdout: No space left on device")
    if os.geteuid() != 0:
        print("skipped: the tmpfs cases need root to mount")
        return
    with small_tmpfs(os.path.join(tmp, "full")) as full:
        for np in (0, 3):
            target = os.path.join(full, "stdout.txt")
            run = run_to(binary, np, job + ["--out", "-"], target, mpiexec)
            one_error(f"np {np} --out - > 200 KiB tmpfs", run, 1, "cannot write stdout: No space left on device")
            remove(target)
        out = os.path.join(full, "out.txt")
        run = launch(binary, 3, job + ["--out", out], mpiexec=mpiexec)
        one_error("--out on a 200 KiB tmpfs", run, 1, "No space left on device")
        check("--out on a full tmpfs: no file under the final name", not os.path.exists(out), os.listdir(full))
        for name in os.listdir(full):
            os.remove(os.path.join(full, name))
        # The journal fits; the final file does not: it never appears half written.
        filler = os.path.join(full, "filler")
        with open(filler, "wb") as f:
            f.write(b"x" * (200 * 1024 - 120 * 1024))
        out = os.path.join(full, "out.txt")
        run = launch(binary, 0, ["factorial", "--upto", "320", "--out", out], mpiexec=mpiexec)
        check("final file on a full disk: exit 1", run.returncode == 1, run.stderr)
        check("final file on a full disk: names the file", f"cannot write {out}: No space left on device"
              in run.stderr, run.stderr)
        check("final file on a full disk: no file under the final name", not os.path.exists(out), os.listdir(full))
        check("final file on a full disk: journal kept", os.path.exists(out + ".partial"), os.listdir(full))
        check("final file on a full disk: no temporary left",
              [n for n in os.listdir(full) if ".tmp" in n] == [], os.listdir(full))
        for name in os.listdir(full):
            if name != "filler":
                os.remove(os.path.join(full, name))
        # A trace that does not fit: no half trace under its name.
        with open(filler, "ab") as f:
            f.write(b"x" * (100 * 1024))
        trace = os.path.join(full, "trace.json")
        run = launch(binary, 3, ["factorial", "--upto", "2000", "--trace-out", trace], mpiexec=mpiexec)
        one_error("--trace-out on a full tmpfs", run, 1, f"cannot write {trace}: No space left on device")
        check("--trace-out on a full tmpfs: no file under its name", not os.path.exists(trace), os.listdir(full))


def test_planted_links(binary, mpiexec, tmp):
    victim = os.path.join(tmp, "victim.txt")
    planted_dir = os.path.join(tmp, "planted")
    os.makedirs(planted_dir)

    def fresh_victim():
        with open(victim, "w") as f:
            f.write("precious\n")

    out = os.path.join(planted_dir, "out.txt")
    for suffix, extra in [(".partial", []), (".partial", ["--resume"]), (".tmp", [])]:
        fresh_victim()
        link = out + suffix
        os.symlink(victim, link)
        run = launch(binary, 0, ["factorial", "--upto", "30", "--out", out] + extra, mpiexec=mpiexec)
        check(f"link at {suffix} {extra}: victim untouched", open(victim).read() == "precious\n",
              open(victim).read()[:80])
        check(f"link at {suffix} {extra}: still a link", os.path.islink(link))
        if suffix == ".partial":
            one_error(f"link at {suffix} {extra}", run, 2, "symbolic link")
        else:
            check(f"link at {suffix}: run fine", run.returncode == 0, run.stderr)
        remove(link)
        remove(out)
    # --fresh replaces the link itself, never what it points to.
    fresh_victim()
    os.symlink(victim, out + ".partial")
    run = launch(binary, 0, ["factorial", "--upto", "30", "--out", out, "--fresh"], mpiexec=mpiexec)
    check("--fresh over a link: exit 0", run.returncode == 0, run.stderr)
    check("--fresh over a link: victim untouched", open(victim).read() == "precious\n")
    remove(out)
    remove(out + ".partial")

    # The old journal name for --out - was $TMPDIR/rankpool-output-<pid>.partial: plant it for the pid the
    # command will have, and any other name in $TMPDIR must stay untouched too.
    tmpdir = os.path.join(tmp, "shared-tmp")
    os.makedirs(tmpdir)
    fresh_victim()

    def plant():
        os.symlink(victim, os.path.join(tmpdir, f"rankpool-output-{os.getpid()}.partial"))

    run = run_to(binary, 0, ["factorial", "--upto", "30", "--out", "-"], os.path.join(tmp, "stdout.txt"), mpiexec,
                 env=dict(ENV, TMPDIR=tmpdir), preexec=plant)
    check("link at the old $TMPDIR name: exit 0", run.returncode == 0, run.stderr)
    check("link at the old $TMPDIR name: victim untouched", open(victim).read() == "precious\n",
          open(victim).read()[:80])
    left = [n for n in os.listdir(tmpdir) if not n.startswith("rankpool-output-")]
    check("the private journal folder is gone after the run", left == [], left)


def test_two_outputs_one_file(binary, mpiexec, tmp):
    same = os.path.join(tmp, "same.txt")
    run = launch(binary, 0, ["factorial", "--upto", "10", "--out", same, "--trace-out", same], mpiexec=mpiexec)
    one_error("--out X --trace-out X", run, 2, "the same file")
    check("--out X --trace-out X: nothing written", not os.path.exists(same))
    with open(same, "w") as f:
        f.write("old\n")
    alias = os.path.join(tmp, "alias.txt")
    os.link(same, alias)
    run = launch(binary, 0, ["factorial", "--upto", "10", "--out", same, "--trace-out", alias], mpiexec=mpiexec)
    one_error("--out X --trace-out (hard link to X)", run, 2, "the same file")
    check("hard link: untouched", open(same).read() == "old\n")


def test_devices_written_in_place(binary, mpiexec, tmp):
    if os.geteuid() != 0:
        print("skipped: making a device node needs root")
        return
    # A null device of our own: a bug here must not replace the machine's /dev/null.
    null = os.path.join(tmp, "null")
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    run = launch(binary, 3, ["factorial", "--upto", "30", "--out", null, "--trace-out", null], mpiexec=mpiexec)
    check("--out NULL --trace-out NULL: exit 0", run.returncode == 0, run.stderr)
    check("--out NULL --trace-out NULL: still a device", stat.S_ISCHR(os.lstat(null).st_mode))
    check("--out NULL --trace-out NULL: no temporary left", sorted(os.listdir(tmp)).count("null") == 1 and
          not [n for n in os.listdir(tmp) if n.startswith("null.")], os.listdir(tmp))


def test_earlier_journal(binary, mpiexec, tmp):
    out = os.path.join(tmp, "stopped.txt")
    run = launch(binary, 3, ["factorial", "--upto", "300", "--variant", "imap", "--fail-on", "150", "--out", out],
                 mpiexec=mpiexec)
    check("stopped run: exit 1", run.returncode == 1, run.stderr)
    journal = open(out + ".partial", "rb").read()
    run = launch(binary, 3, ["factorial", "--upto", "300", "--out", out], mpiexec=mpiexec)
    one_error("rerun onto a journal without --resume", run, 2, "add --resume")
    check("rerun onto a journal: says --fresh", "--fresh" in run.stderr, run.stderr)
    check("rerun onto a journal: journal intact", open(out + ".partial", "rb").read() == journal)
    check("rerun onto a journal: no output", not os.path.exists(out))
    run = launch(binary, 3, ["factorial", "--upto", "300", "--out", out, "--fresh", "--json"], mpiexec=mpiexec)
    check("--fresh: exit 0", run.returncode == 0, run.stderr)
    check("--fresh: every task run again", '"tasks":300' in run.stdout, run.stdout[-300:])
    check("--fresh: right output", open(out).read() == "".join(f"{n}\t{math.factorial(n)}\n" for n in range(1, 301)))


def entry(key, payload):
    return f"{key} {len(payload)} {zlib.crc32(payload):08x}\n".encode() + payload + b"\n"


def test_tampered_journal(binary, mpiexec, tmp):
    out = os.path.join(tmp, "tampered.txt")
    args = ["factorial", "--upto", "200", "--variant", "imap", "--out", out]
    run = launch(binary, 0, args + ["--fail-on", "150"], mpiexec=mpiexec)
    check("tampered: first run stops", run.returncode == 1, run.stderr)
    journal = out + ".partial"
    pristine = open(journal, "rb").read()
    digits = str(math.factorial(150)).encode()
    flipped = digits[:40] + bytes([digits[40] ^ 1 if digits[40] != ord("9") else ord("8")]) + digits[41:]
    cases = [
        ("a key outside the task set", entry(500, b"501\t" + str(math.factorial(501)).encode()), "key 500"),
        ("a duplicate key", entry(0, b"1\t1"), "repeats key 0"),
        ("an empty value", entry(149, b""), "key 149"),
        ("a flipped digit", entry(149, b"150\t" + flipped), "key 149"),
    ]
    for label, extra, want in cases:
        with open(journal, "wb") as f:
            f.write(pristine + extra)
        run = launch(binary, 0, args + ["--resume"], mpiexec=mpiexec)
        one_error(f"tampered ({label})", run, 2, journal + ": entry ")
        check(f"tampered ({label}): names the entry", want in run.stderr, run.stderr)
        check(f"tampered ({label}): no output", not os.path.exists(out))
    # A digit flipped inside an entry the run itself wrote: its checksum no longer matches.
    with open(journal, "wb") as f:
        at = pristine.index(b"\n100\t") + 10
        f.write(pristine[:at] + bytes([pristine[at] ^ 1]) + pristine[at + 1:])
    run = launch(binary, 0, args + ["--resume"], mpiexec=mpiexec)
    one_error("tampered (a digit flipped in place)", run, 2, "checksum")
    with open(journal, "wb") as f:
        f.write(pristine)
    run = launch(binary, 0, args + ["--resume"], mpiexec=mpiexec)
    check("untampered journal resumes", run.returncode == 0, run.stderr)
    check("untampered journal: right output",
          open(out).read() == "".join(f"{n}\t{math.factorial(n)}\n" for n in range(1, 201)))


def test_tampered_reposts_journal(binary, mpiexec, tmp):
    if "reposts" not in subprocess.run([binary, "--help"], capture_output=True, text=True).stdout:
        print("skipped: built without reposts")
        return
    env = dict(ENV, WEIBO_ACCESS_TOKEN="tok-safety")
    mock = subprocess.Popen([binary, "mock-weibo", "--port", "0", "--latency-ms", "600"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = mock.stdout.readline().strip()
        out = os.path.join(tmp, "reposts.jsonl")
        args = ["reposts", "--mid", "3664072912104801", "--api-base", url, "--variant", "apply", "--out", out]
        cmd = [mpiexec, "--oversubscribe", "-np", "3", binary] + args
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(out + ".partial") and open(out + ".partial", "rb").read().count(b'"total"') >= 2:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        check("reposts interrupted: journal kept", os.path.exists(out + ".partial"), err)
        pristine = open(out + ".partial", "rb").read()
        header = b'{"total":2500,"requests":1,"retries":0}\n'
        cases = [
            ("a page of a post the run does not have", entry((5 << 20) | 3, header + b'7\t{"id":7}'),
             "is not a page of this run's posts"),
            ("a repost whose JSON has another id", entry(9, header + b'7\t{"id":8}'), "is not a JSON object with that id"),
            ("an empty value", entry(10, b""), "key 10"),
        ]
        for label, extra, want in cases:
            with open(out + ".partial", "wb") as f:
                f.write(pristine + extra)
            run = launch(binary, 0, args + ["--resume"], mpiexec=mpiexec, env=env)
            one_error(f"reposts journal ({label})", run, 2, out + ".partial: entry ")
            check(f"reposts journal ({label}): says why", want in run.stderr, run.stderr)
        with open(out + ".partial", "wb") as f:
            f.write(pristine)
        run = launch(binary, 3, args + ["--resume"], mpiexec=mpiexec, env=env, timeout=120)
        check("reposts journal untampered: resumes", run.returncode == 0, run.stderr)
    finally:
        mock.send_signal(signal.SIGTERM)
        mock.wait(timeout=10)


def test_numbers_file(binary, mpiexec, tmp):
    rng = random.Random(13)
    numbers = [rng.randint(1, 20) for _ in range(10**6)]
    listing = os.path.join(tmp, "numbers.txt")
    with open(listing, "w") as f:
        # Commas, spaces and newlines all separate.
        for start in range(0, len(numbers), 10):
            f.write(",".join(map(str, numbers[start:start + 5])) + " " + " ".join(map(str, numbers[start + 5:start + 10]))
                    + "\n")
    out = os.path.join(tmp, "million.txt")
    run = launch(binary, 3, ["factorial", "--numbers-file", listing, "--variant", "imap", "--chunksize", "5000",
                             "--out", out, "--json"], mpiexec=mpiexec, timeout=300)
    check("a million numbers: exit 0", run.returncode == 0, run.stderr)
    if run.returncode == 0:
        check("a million numbers: every task", '"tasks":1000000' in run.stdout, run.stdout[-300:])
        table = {n: f"{n}\t{math.factorial(n)}\n" for n in range(1, 21)}
        with open(out) as f:
            check("a million numbers: right output, in order", f.read() == "".join(table[n] for n in numbers))
    stdin_out = os.path.join(tmp, "from-stdin.txt")
    proc = subprocess.run([binary, "factorial", "--numbers-file", "-", "--out", stdin_out], input="5\n3-4,1\n",
                          capture_output=True, text=True, timeout=60, env=ENV)
    check("--numbers-file -: exit 0", proc.returncode == 0, proc.stderr)
    check("--numbers-file -: output", proc.returncode == 0 and open(stdin_out).read() == "5\t120\n3\t6\n4\t24\n1\t1\n")
    bad = os.path.join(tmp, "bad-numbers.txt")
    with open(bad, "w") as f:
        f.write("1,2\n3 x4\n")
    run = launch(binary, 0, ["factorial", "--numbers-file", bad], mpiexec=mpiexec)
    one_error("--numbers-file with a bad item", run, 2, f"--numbers-file {bad}: line 2: 'x4' is not a number")
    huge = os.path.join(tmp, "huge-numbers.txt")
    with open(huge, "w") as f:
        f.truncate(65 << 20)
    run = launch(binary, 0, ["factorial", "--numbers-file", huge], mpiexec=mpiexec)
    one_error("--numbers-file too large", run, 2, "more than 64 MiB")
    os.remove(huge)
    run = launch(binary, 0, ["factorial", "--numbers-file", os.path.join(tmp, "missing.txt")], mpiexec=mpiexec)
    one_error("--numbers-file missing", run, 2, "No such file or directory")


def main():
    binary, mpiexec = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        tests = [test_full_outputs, test_planted_links, test_two_outputs_one_file, test_devices_written_in_place,
                 test_earlier_journal, test_tampered_journal, test_tampered_reposts_journal, test_numbers_file]
        run_cases([(test.__name__, lambda test=test: test(binary, mpiexec, tmp)) for test in tests], failures)
    return finish(failures,
                  "ok: full disks, planted links, earlier and tampered journals, one file for two outputs, numbers files")


if __name__ == "__main__":
    sys.exit(main())
