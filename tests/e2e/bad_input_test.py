"""End to end: bad input gets one clear line, exit 2, every rank gone within 5 s, no output file.

usage: bad_input_test.py RANKPOOL MPIEXEC NP [--reposts]
"""
import os
import stat
import sys
import tempfile

from e2e_util import ENV, launch, rankpool_error_lines


def cases(tmp):
    out = os.path.join(tmp, "out.txt")
    readonly = os.path.join(tmp, "readonly")
    os.makedirs(readonly, exist_ok=True)
    os.chmod(readonly, stat.S_IRUSR | stat.S_IXUSR)
    f = ["factorial"]
    rows = [
        (["frobnicate"], "frobnicate"),
        (f + ["--upto", "10", "--bogus"], "--bogus"),
        (f + ["--upto", "-5"], "--upto"),
        (f + ["--upto", "abc"], "abc"),
        (f + ["--upto", "0"], "--upto"),
        (f + ["--upto", "10000001"], "--upto"),
        (f + ["--numbers", "1,x,3"], "'x' is not a number"),
        (f + ["--numbers", ""], "empty"),
        (f + ["--numbers", "5-2"], "runs backwards"),
        (f + ["--numbers", "99999999"], "larger than the limit 10000000"),
        (f, "needs --upto N or --numbers LIST"),
        (f + ["--upto", "5", "--numbers", "3"], "excludes"),
        (f + ["--upto", "10", "--chunksize", "0"], "--chunksize"),
        (f + ["--upto", "10", "--pool", "0"], "--pool"),
        (f + ["--upto", "10", "--pool", "99"], "--pool 99 but only"),
        (f + ["--upto", "10", "--variant", "starmap"], "--variant"),
        (f + ["--upto", "10", "--on-error", "maybe"], "--on-error"),
        (f + ["--upto", "10", "--backend", "python"], "--backend"),
        (f + ["--upto", "10", "--out", os.path.join(tmp, "missing", "f.txt")], "does not exist"),
        (f + ["--upto", "10", "--out", os.path.join(readonly, "f.txt")], "not writable"),
        (f + ["--upto", "10", "--out", tmp], "is a folder"),
        (f + ["--upto", "10", "--resume"], "--resume needs --out"),
        (f + ["--upto", "10", "--out", "-", "--json"], "both write to stdout"),
        (["sleep", "--seconds", "1"], "--tasks"),
        (["sleep", "--tasks", "5", "--seconds", "-1"], "--seconds"),
        (["sleep", "--tasks", "3"], "RANKPOOL_WAIT=spin: not one of", {"RANKPOOL_WAIT": "spin"}),
    ], out
    return rows


def main():
    binary, mpiexec, np = sys.argv[1], sys.argv[2], int(sys.argv[3])
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rows, out = cases(tmp)
        if os.geteuid() == 0:  # root writes anywhere: the read-only folder proves nothing
            rows = [r for r in rows if r[1] != "not writable"]
        for args, expect, *env in rows:
            run = launch(binary, np, args + (["--out", out] if args[:1] == ["factorial"] and "--out" not in args
                                             and "--resume" not in args else []), timeout=30, mpiexec=mpiexec,
                         env=dict(ENV, **env[0]) if env else None)
            lines = rankpool_error_lines(run.stderr)
            label = " ".join(args)
            if run.returncode != 2:
                failures.append(f"{label}: exit {run.returncode}, want 2; stderr: {run.stderr.strip()[:300]}")
            if len(lines) != 1 or expect not in lines[0]:
                failures.append(f"{label}: want one 'rankpool: error:' line with '{expect}', got {lines}")
            for leftover in [out, out + ".partial"]:
                if os.path.exists(leftover):
                    failures.append(f"{label}: left {leftover}")
                    os.remove(leftover)
    if failures:
        print("\n".join(failures))
        return 1
    print(f"ok: {len(rows)} bad inputs refused at {np} ranks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
