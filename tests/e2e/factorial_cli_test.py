"""End to end: `rankpool factorial` gives exact n! for every variant at one world size.

usage: factorial_cli_test.py RANKPOOL MPIEXEC NP
"""
import os
import stat
import sys
import tempfile

from e2e_util import factorial_file_problem, launch, last_json, rankpool_error_lines, run_checks

VARIANTS = ["serial", "apply", "apply_async", "map", "map_async", "imap", "imap_unordered"]


def main(check):
    binary, mpiexec, np = sys.argv[1], sys.argv[2], int(sys.argv[3])
    workers = max(np - 1, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for variant in VARIANTS:
            out = os.path.join(tmp, f"{variant}.txt")
            run = launch(binary, np, ["factorial", "--upto", "100", "--variant", variant, "--out", out, "--json"],
                         mpiexec=mpiexec)
            check(variant + " exit", run.returncode == 0, run.stderr)
            if run.returncode != 0:
                continue
            problem = factorial_file_problem(out, range(1, 101))
            check(variant + " output", problem is None, problem)
            check(variant + " no journal left", not os.path.exists(out + ".partial"))
            summary = last_json(run.stdout)
            for key in ["job", "variant", "workers", "tasks", "wall_seconds", "tasks_per_rank", "errors"]:
                check(variant + " json " + key, key in summary, summary)
            check(variant + " tasks", summary["tasks"] == 100, summary)
            per_rank = {int(r): c for r, c in summary["tasks_per_rank"].items()}
            check(variant + " counts", sum(per_rank.values()) == 100, per_rank)
            if variant == "serial" or workers == 0:
                check(variant + " on master", set(per_rank) == {0}, per_rank)
            else:
                # How many workers take part is the scheduler's choice (tiny
                # tasks may finish on fewer); only workers run them, and more than one.
                check(variant + " spread", 0 not in per_rank and len(per_rank) >= min(2, workers)
                      and set(per_rank) <= set(range(1, workers + 1)), per_rank)

        # --numbers with repeats and ranges, request order kept; more workers than tasks.
        out = os.path.join(tmp, "numbers.txt")
        run = launch(binary, np, ["factorial", "--numbers", "30,5-7,30", "--variant", "map", "--out", out],
                     mpiexec=mpiexec)
        check("numbers exit", run.returncode == 0, run.stderr)
        if run.returncode == 0:
            problem = factorial_file_problem(out, [30, 5, 6, 7, 30])
            check("numbers output", problem is None, problem)

        # --pool 1: one worker does everything; --stats and --json say where the time went (the others idle).
        run = launch(binary, np, ["factorial", "--upto", "500", "--variant", "imap_unordered", "--pool", "1", "--json",
                                  "--stats"], mpiexec=mpiexec)
        check("pool 1 exit", run.returncode == 0, run.stderr)
        if run.returncode == 0:
            summary = last_json(run.stdout)
            per_rank = summary["tasks_per_rank"]
            check("pool 1 one rank", list(per_rank) == (["1"] if workers else ["0"]), per_rank)
            stats = summary["worker_stats"]
            check("stats: a row per worker", [w["rank"] for w in stats] == (list(range(1, workers + 1)) or [0]), stats)
            check("stats: the working rank was busy", stats[0]["tasks"] == 500 and stats[0]["busy_fraction"] > 0, stats)
            idle = stats[1:]
            check("stats: the idle workers were not", all(w["tasks"] == 0 and w["busy_fraction"] == 0 for w in idle),
                  stats)
            mean = sum(w["busy_fraction"] for w in stats) / len(stats)
            check("stats: worker_busy_fraction is the mean", abs(summary["worker_busy_fraction"] - mean) < 1e-9, summary)
            check("stats: worker_busy_min", summary["worker_busy_min"] == min(w["busy_fraction"] for w in stats), summary)
            check("stats: master_busy_fraction", 0 <= summary["master_busy_fraction"] <= 1, summary)
            check("stats: hand-outs and bytes", summary["hand_outs"] > 0 and summary["result_bytes"] > 0, summary)
            table = [line for line in run.stderr.splitlines() if line.lstrip().startswith("rank ")]
            check("--stats: a line per worker", len(table) == len(stats), run.stderr)
            if workers >= 2:
                check("--stats: the idle worker's line", "rank    2  busy   0.0 %  tasks 0" in run.stderr, run.stderr)

        # A task that throws: exit 1, the error names job, task, rank and host; the others continue.
        for variant in ["apply_async", "map", "imap"]:
            run = launch(binary, np, ["factorial", "--upto", "40", "--variant", variant, "--fail-on", "17",
                                      "--on-error", "continue", "--json"], mpiexec=mpiexec)
            check(variant + " failing exit", run.returncode == 1, f"rc {run.returncode} {run.stderr}")
            summary = last_json(run.stdout)
            check(variant + " one error", len(summary["errors"]) == 1, summary["errors"])
            check(variant + " others done", summary["completed"] == 39, summary)
            lines = rankpool_error_lines(run.stderr)
            check(variant + " error line", any("factorial task 16 on rank" in l and "injected failure for n = 17" in l
                                               for l in lines), run.stderr)

        # A device is written, never replaced by a file.
        run = launch(binary, np, ["factorial", "--upto", "30", "--out", "/dev/null"], mpiexec=mpiexec)
        check("dev null exit", run.returncode == 0, run.stderr)
        check("dev null still a device", stat.S_ISCHR(os.stat("/dev/null").st_mode), "replaced /dev/null")

        # --on-error stop (the default): exit 1, what finished kept in the journal, no final file.
        out = os.path.join(tmp, "stopped.txt")
        run = launch(binary, np, ["factorial", "--upto", "300", "--variant", "imap", "--fail-on", "150", "--out", out,
                                  "--json"], mpiexec=mpiexec)
        check("stop exit", run.returncode == 1, f"rc {run.returncode} {run.stderr}")
        check("stop no final file", not os.path.exists(out))
        check("stop journal kept", os.path.exists(out + ".partial") and "--resume" in run.stderr, run.stderr)
        lines = rankpool_error_lines(run.stderr)
        check("stop one error line", len(lines) == 1 and "n = 150" in lines[0], lines)
        summary = last_json(run.stdout)
        check("stop reported", len(summary["errors"]) >= 1 and summary["completed"] >= 149, summary)


if __name__ == "__main__":
    sys.exit(run_checks(main, f"factorial end to end at {sys.argv[3]} ranks"))
