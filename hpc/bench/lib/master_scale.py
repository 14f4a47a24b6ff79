"""master_scale.sh: does the master's cost per task grow with the number of workers?

For each world size (4, 16, 64, 128 ranks by default, oversubscribed on this
machine) and each variant, `rankpool sleep --seconds S --json` (S = 5 ms: the
workers sleep, so the cores are not the limit) runs twice, with LOW and HIGH
tasks per worker. The master's CPU per task is the slope between the two runs
(`master_cpu_seconds`, rank 0's whole process: start-up cancels out), and the
efficiency is the tasks' own time (tasks x S / workers) over the wall of the
larger run. The last column is each slope over the slope at the smallest size.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (common_args, fmt, footer, log, mpirun, rankpool_bin, run_json_retry, start,  # noqa: E402
                      table)

VARIANTS = ['apply_async', 'map', 'imap_unordered']


def main():
    ap = common_args(__doc__, quick_help='4 and 16 ranks only, fewer tasks')
    ap.add_argument('--sizes', default='4,16,64,128', help='comma list of world sizes (ranks)')
    ap.add_argument('--seconds', type=float, default=0.005, help='each task sleeps this long (default 0.005)')
    ap.add_argument('--low', type=int, default=50, help='tasks per worker in the smaller run (default 50)')
    ap.add_argument('--high', type=int, default=400, help='tasks per worker in the larger run (default 400)')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(',')]
    if args.quick:
        sizes = [s for s in sizes if s <= 16] or sizes[:1]
        args.low, args.high = 20, 100
    variants = args.variants.split(',')
    repeat = args.repeat or 2
    start(args, f'Master cost per task against world size ({os.cpu_count()} cores, {args.seconds * 1e3:g} ms sleep '
                'tasks)')
    bins = [('current', rankpool_bin())]
    if os.environ.get('RANKPOOL_BASELINE_BIN'):
        bins.append(('baseline', os.path.abspath(os.environ['RANKPOOL_BASELINE_BIN'])))
    rows = []
    base_slope = {}
    for np_, variant, (who, binary) in ((n, v, b) for n in sizes for v in variants for b in bins):
        workers = np_ - 1
        runs = {}
        for per_worker in (args.low, args.high):
            tasks = per_worker * workers
            cmd = mpirun(np_, '--oversubscribe', '--bind-to', 'none', binary, 'sleep', '--tasks', str(tasks),
                         '--seconds', str(args.seconds), '--variant', variant, '--json')
            recs = [run_json_retry(cmd, timeout=1800) for _ in range(repeat)]
            for rec in recs:
                assert rec['completed'] == tasks, rec
            # The least CPU and the least wall of the repeats: each run's start-up adds noise to both.
            runs[per_worker] = dict(min(recs, key=lambda r: r['wall_seconds']),
                                    master_cpu_seconds=min(r['master_cpu_seconds'] for r in recs))
            log(f'master_scale: {who} {np_} ranks {variant} {tasks} tasks: {runs[per_worker]["wall_seconds"]:.3f} s, '
                f'master CPU {runs[per_worker]["master_cpu_seconds"]:.3f} s')
        low, high = runs[args.low], runs[args.high]
        extra_tasks = (args.high - args.low) * workers
        slope_us = max(0.0, high['master_cpu_seconds'] - low['master_cpu_seconds']) / extra_tasks * 1e6
        base_slope.setdefault((who, variant), slope_us)
        ideal = args.high * args.seconds
        efficiency = ideal / high['wall_seconds']
        base = base_slope[(who, variant)]
        growth = slope_us / base if base > 0 else float('nan')
        rows.append([str(np_), f'`{variant}`', who, f'{args.high * workers:,}', fmt(high['wall_seconds']),
                     f'{100 * efficiency:.0f} %', fmt(slope_us, 2), f'{growth:.2f}×'])
    print(f'Per world size and variant: the larger run ({args.high} tasks per worker), its efficiency (the tasks\' '
          f'own time ÷ wall), the master\'s CPU per task (slope between {args.low} and {args.high} tasks per '
          f'worker) and that slope over the one at {sizes[0]} ranks. Least wall and least master CPU of {repeat} runs.\n')
    print(table(['ranks', 'variant', 'binary', 'tasks', 'wall s', 'efficiency', 'master CPU µs per task',
                 f'÷ at {sizes[0]} ranks'], rows, 'lllrrrrr'))
    print()
    footer()


if __name__ == '__main__':
    main()
