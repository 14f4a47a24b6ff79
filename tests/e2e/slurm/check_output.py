#!/usr/bin/env python3
"""check_output.py - checks what a rankpool job script wrote.

    check_output.py factorial FILE --upto N       every n = 1..N, in order, n! exact
    check_output.py reposts FILE --unique 2000    JSON Lines, each id once, 2000 ids

Exact values come from Python's math.factorial. Prints one line; exit 0 when
the file is right, 1 when not (the first difference is named).
"""
import argparse
import json
import math
import sys


def check_factorial(path, upto):
    with open(path, encoding="ascii") as f:
        lines = f.read().splitlines()
    if len(lines) != upto:
        return f"{path}: {len(lines)} lines, expected {upto}"
    for n, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) != 2 or fields[0] != str(n):
            return f"{path} line {n}: expected 'n<TAB>n!' for n={n}, got {line[:60]!r}"
        if fields[1] != str(math.factorial(n)):
            return f"{path} line {n}: {n}! differs from math.factorial({n})"
    return None


def check_reposts(path, unique):
    ids = set()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                repost_id = json.loads(line)["id"]
            except (ValueError, KeyError, TypeError) as e:
                return f"{path} line {number}: not a repost object with an id ({e})"
            if repost_id in ids:
                return f"{path} line {number}: repost id {repost_id} appears twice"
            ids.add(repost_id)
    if len(ids) != unique:
        return f"{path}: {len(ids)} unique repost ids, expected {unique}"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="job", required=True)
    f = sub.add_parser("factorial")
    f.add_argument("file")
    f.add_argument("--upto", type=int, required=True)
    r = sub.add_parser("reposts")
    r.add_argument("file")
    r.add_argument("--unique", type=int, required=True)
    a = p.parse_args()
    try:
        if a.job == "factorial":
            error = check_factorial(a.file, a.upto)
            what = f"{a.upto} exact factorials"
        else:
            error = check_reposts(a.file, a.unique)
            what = f"{a.unique} unique repost ids"
    except OSError as e:
        error = f"{a.file}: {e.strerror}"
    if error:
        print(f"check_output: FAIL {error}")
        return 1
    print(f"check_output: ok {a.file}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
