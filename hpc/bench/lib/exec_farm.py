"""exec.sh: what a command costs through `rankpool exec`, beside xargs and GNU parallel.

A task file of N lines `true` (default 2000). Every tool runs each line the
same way, `/bin/sh -c LINE`, two at a time, and is timed end to end (the
launcher's start-up included): `mpirun -np 3 rankpool exec` (2 workers),
`xargs -d '\\n' -n1 -P2 sh -c`, GNU `parallel -j2`. Rounds are interleaved
(each round runs every command once, in a rotating order), so a busy spell
on this shared machine hits every tool alike; the tables give the best and
the median round. Target: rankpool's median <= 1.5x xargs's.

Context rows: rankpool recording rows (`--out`), with `--chunksize 16`,
its start-up alone (an empty task file), xargs starting `true` without a
shell, and one stream (`rankpool exec --variant serial` without mpirun,
against `xargs -P1 sh -c`) for the cost of starting one command.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (CpuMeter, best, common_args, fmt, footer, log, median, pct, rankpool_bin, ratio,  # noqa: E402
                      run, start, table)


def commands(bin_, tasks_file, empty_file, rows_file, tasks):
    """(key, label, argv, stdin file or None); the first three are the comparison."""
    xargs = ['xargs', '-d', '\\n', '-n1']
    return [
        ('rankpool', 'rankpool exec, mpirun -np 3 (2 workers)',
         ['mpirun', '-np', '3', bin_, 'exec', '--tasks', tasks_file], None),
        ('xargs', 'xargs -P2, sh -c per line', xargs + ['-P2', 'sh', '-c'], tasks_file),
        ('parallel', 'GNU parallel -j2', ['parallel', '--will-cite', '-j2'], tasks_file),
        ('rankpool_out', 'rankpool exec --out rows.jsonl',
         ['mpirun', '-np', '3', bin_, 'exec', '--tasks', tasks_file, '--out', rows_file], None),
        ('rankpool_c16', 'rankpool exec --chunksize 16',
         ['mpirun', '-np', '3', bin_, 'exec', '--tasks', tasks_file, '--chunksize', '16'], None),
        ('rankpool_start', 'rankpool exec, empty task file (start-up alone)',
         ['mpirun', '-np', '3', bin_, 'exec', '--tasks', empty_file], None),
        ('xargs_direct', 'xargs -P2 starting `true` itself (no shell)',
         ['sh', '-c', f'seq {tasks} | xargs -n1 -P2 true'], None),
        ('serial', 'one stream: rankpool exec --variant serial, no mpirun',
         [bin_, 'exec', '--tasks', tasks_file, '--variant', 'serial'], None),
        ('xargs_p1', 'one stream: xargs -P1, sh -c per line', xargs + ['-P1', 'sh', '-c'], tasks_file),
    ]


def shown(argv, stdin, tmp):
    text = ' '.join(f"'{a}'" if a in ('\\n',) or ' ' in a else a for a in argv)
    text = text.replace(tmp + '/', '').replace(rankpool_bin(), 'build/release/src/cli/rankpool')
    return text + (f' < {os.path.basename(stdin)}' if stdin else '')


def time_once(argv, stdin):
    t0 = time.perf_counter()
    with open(stdin or os.devnull) as f:
        import subprocess
        proc = subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              timeout=900)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f'failed ({proc.returncode}): {argv}\n{proc.stderr[-2000:]}')
    return elapsed


def main():
    ap = common_args(__doc__, quick_help='500 tasks, one round (< 30 s)')
    ap.add_argument('--tasks', type=int, default=None, help='lines of `true` (default 2000; quick 500)')
    args = ap.parse_args()
    tasks = args.tasks or (500 if args.quick else 2000)
    repeat = args.repeat or (1 if args.quick else 3)
    for tool in ('xargs', 'parallel', 'mpirun'):
        if not shutil.which(tool):
            sys.exit(f'exec.sh: {tool} not found (GNU parallel: apt-get install parallel, or hpc/setup.sh)')
    start(args, f'Command farm: {tasks} x `true` on 2 workers (`exec.sh`)')
    bin_ = rankpool_bin()
    tmp = tempfile.mkdtemp(prefix='rankpool-bench-exec-')
    try:
        tasks_file = os.path.join(tmp, 'tasks.txt')
        with open(tasks_file, 'w') as f:
            f.write('true\n' * tasks)
        empty_file = os.path.join(tmp, 'empty.txt')
        open(empty_file, 'w').close()
        rows_file = os.path.join(tmp, 'rows.jsonl')
        cmds = commands(bin_, tasks_file, empty_file, rows_file, tasks)
        times = {key: [] for key, *_ in cmds}
        others = []
        for round_ in range(repeat):
            order = cmds[round_ % len(cmds):] + cmds[:round_ % len(cmds)]
            with CpuMeter() as meter:
                for key, label, argv, stdin in order:
                    if key == 'rankpool_out' and os.path.exists(rows_file):
                        os.remove(rows_file)
                    times[key].append(time_once(argv, stdin))
                    log(f'  round {round_ + 1}/{repeat} {label}: {times[key][-1]:.3f} s')
            others.append(meter.others_share())
        # The recorded rows are what the table claims: one per command.
        with open(rows_file) as f:
            recorded = sum(1 for _ in f)
        assert recorded == tasks, f'--out wrote {recorded} rows, want {tasks}'

        med = {key: median(values) for key, values in times.items()}
        bst = {key: best(values) for key, values in times.items()}
        main_rows, context_rows = [], []
        for key, label, argv, stdin in cmds:
            row = [label, fmt(bst[key]), fmt(med[key]), fmt(med[key] / tasks * 1e3),
                   ratio(med[key], med['xargs']), f'`{shown(argv, stdin, tmp)}`']
            (main_rows if key in ('rankpool', 'xargs', 'parallel') else context_rows).append(row)
        headers = ['what', 'best s', 'median s', 'ms / command (median)', '÷ xargs -P2', 'command']
        print(f'{repeat} interleaved round{"s" if repeat > 1 else ""}; each command timed end to end '
              f'(launcher start-up included). Other processes took {pct(max(others))} of the CPUs '
              'in the busiest round.\n')
        print(table(headers, main_rows, 'lrrrrl'))
        print()
        target = med['rankpool'] / med['xargs']
        print(f'**Target** rankpool <= 1.5x xargs -P2: {fmt(target)}x — **{"met" if target <= 1.5 else "not met"}**.\n')
        print('### Context\n')
        print(table(headers, context_rows, 'lrrrrl'))
        print()
        startup = med['rankpool_start']
        per_cmd = (med['rankpool'] - startup) / tasks * 1e3
        print(f'- rankpool minus its start-up ({fmt(startup)} s): {fmt(per_cmd)} ms per command on 2 workers, '
              f'against {fmt(med["xargs"] / tasks * 1e3)} ms for xargs -P2 (whose start-up is ~0).')
        print(f'- One stream: {fmt((med["serial"]) / tasks * 1e3)} ms per command for rankpool (posix_spawn of '
              f'/bin/sh from one process, start-up included) against {fmt(med["xargs_p1"] / tasks * 1e3)} ms for '
              'xargs -P1 (fork + exec).')
        print(f'- Recording every row (`--out`) costs {ratio(med["rankpool_out"], med["rankpool"])} the plain run; '
              f'`--chunksize 16` runs in {ratio(med["rankpool_c16"], med["rankpool"])} its time.')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    footer()


if __name__ == '__main__':
    main()
