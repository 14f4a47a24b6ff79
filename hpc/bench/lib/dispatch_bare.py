"""dispatch_bare.sh: dispatch per trivial task at chunksize 1 against a bare MPI loop.

rankpool: `mpirun -np 3 rankpool sleep --tasks 200000 --seconds 0 --variant
apply_async --chunksize 1 --json`, its `us_per_task` (wall_seconds ÷ tasks,
MPI start-up excluded). Beside it, in the same run and interleaved with it,
`lib/bare_dispatch.c` (compiled here with mpicc -O2): a bare MPI master/worker
loop that sends one task index per message to a worker with a free slot and
takes its reply, timed from the first hand-out to the last reply; depth 1 (one
task out per worker) is the reference, depth 2 (what rankpool keeps out per
worker at chunksize 1) is shown too. Best of --repeat (3) runs each.

RANKPOOL_BASELINE_BIN=path adds a second rankpool binary (e.g. the one built
before a change), timed in the same rounds, and the ratio of the two.
--wait adds rows per wait policy for each binary whose `sleep --help` has
the option.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (LIB, common_args, fmt, footer, log, median, rankpool_bin, rel, run, run_json_retry,  # noqa: E402
                      show, start, table)


def mpirun(np_, bind, *cmd):
    return ['mpirun', '-np', str(np_), *(['--bind-to', bind] if bind != 'default' else []), *cmd]


def build_bare(tmp):
    exe = os.path.join(tmp, 'bare_dispatch')
    src = os.path.join(LIB, 'bare_dispatch.c')
    mpicc = shutil.which('mpicc')
    if not mpicc:
        sys.exit('dispatch_bare: no mpicc on PATH (Debian: apt-get install libopenmpi-dev)')
    run([mpicc, '-O2', '-o', exe, src])
    return exe, f'mpicc -O2 -o bare_dispatch {rel(src)}'


def has_wait(bin_):
    out, _, _ = run([bin_, 'sleep', '--help'], check=False)
    return '--wait' in out


def main():
    ap = common_args(__doc__, quick_help='5×10⁴ tasks per run (~20 s)')
    ap.add_argument('--tasks', type=int, default=None, help='tasks per run (default 200000; --quick 50000)')
    ap.add_argument('--np', type=int, default=3, help='ranks (default 3: master + 2 workers)')
    ap.add_argument('--variants', default='apply_async',
                    help='rankpool variants at --chunksize 1 (default apply_async; e.g. apply_async,imap_unordered)')
    ap.add_argument('--wait', default='default',
                    help='comma list of wait policies: default (no option), block, backoff, auto (default: default)')
    ap.add_argument('--bind', default='none', help="mpirun --bind-to for every row (default none; 'default': no option)")
    args = ap.parse_args()
    tasks = args.tasks or (50000 if args.quick else 200000)
    repeat = args.repeat or 3
    start(args, f'Dispatch per trivial task at chunksize 1 against a bare MPI loop, {args.np} ranks')
    bins = [('current', rankpool_bin())]
    base = os.environ.get('RANKPOOL_BASELINE_BIN')
    if base:
        if not os.access(base, os.X_OK):
            sys.exit(f'dispatch_bare: RANKPOOL_BASELINE_BIN={base} is not an executable')
        bins.append(('baseline', os.path.abspath(base)))
    policies = args.wait.split(',')
    notes = []
    rows = []   # (label, cmd)
    for name, bin_ in bins:
        wait_ok = has_wait(bin_)
        for policy in policies:
            if policy != 'default' and not wait_ok:
                notes.append(f'`{rel(bin_)} sleep --help` has no `--wait`: no `--wait {policy}` row for it.')
                continue
            for variant in args.variants.split(','):
                cmd = [bin_, 'sleep', '--tasks', str(tasks), '--seconds', '0', '--variant', variant,
                       '--chunksize', '1', '--json'] + (['--wait', policy] if policy != 'default' else [])
                label = f'rankpool {name} `{variant}`' + (f' `--wait {policy}`' if policy != 'default' else '')
                rows.append((label, mpirun(args.np, args.bind, *cmd), bin_))
    with tempfile.TemporaryDirectory(prefix='rankpool-bench-') as tmp:
        exe, build_cmd = build_bare(tmp)
        bare_rows = [(f'bare MPI loop, depth {d}', mpirun(args.np, args.bind, exe, str(tasks), str(d)), None)
                     for d in (1, 2)]
        everything = bare_rows + rows
        us = {label: [] for label, _, _ in everything}
        for rep in range(repeat):
            shift = rep % len(everything)   # each round starts with another row: no fixed position
            for label, cmd, _ in everything[shift:] + everything[:shift]:
                rec = run_json_retry(cmd, timeout=1800)
                if rec.get('completed', rec.get('tasks')) != tasks or rec.get('ok') is False:
                    raise RuntimeError(f'dispatch_bare: incomplete run: {rec}')
                us[label].append(rec['us_per_task'])
                log(f'run {rep + 1}/{repeat}: {label:45s} {rec["us_per_task"]:8.3f} µs/task')
    ref = min(us[bare_rows[0][0]])
    out = []
    for label, cmd, bin_ in everything:
        b = min(us[label])
        out.append([label, ' / '.join(fmt(x) for x in us[label]), fmt(b), fmt(median(us[label])),
                    fmt(b / ref) + '×'])
    print(f'µs per task, {tasks:,} trivial tasks per run, {args.np - 1} workers on {args.np} ranks, '
          f'best of {repeat} (runs interleaved, each round starting with another row).\n')
    print(table(['what', 'µs/task (each run)', 'best', 'median', 'best ÷ bare loop (depth 1)'], out, 'lrrrr'))
    print()
    print('### Ratios\n')
    for label, _, _ in rows:
        r = min(us[label]) / ref
        print(f'- {label}: {fmt(r)}× the bare loop (target ≤ 1.5×): **{"met" if r <= 1.5 else "not met"}**')
    if base:
        for label, _, _ in rows:
            if ' current ' not in label:
                continue
            twin = label.replace(' current ', ' baseline ')
            if twin in us:
                r = min(us[label]) / min(us[twin])
                print(f'- {label} ÷ {twin}: {fmt(r)}× (target: no slower than the baseline, i.e. ≤ 1×, '
                      f'within run-to-run noise)')
    for n in dict.fromkeys(notes):
        print(f'- {n}')
    print()
    print('### Commands\n')
    print(f'- bare loop build: `{build_cmd}`')
    for label, cmd, _ in everything:
        print(f'- {label}: `{show(cmd).replace(exe, "./bare_dispatch")}`')
    footer()


if __name__ == '__main__':
    main()
