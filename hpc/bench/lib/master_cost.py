"""master_cost.sh: how many workers one master can feed, from its measured cost.

`rankpool sleep --seconds 0` (tasks that return at once) on NP ranks, for
`apply_async` and `imap_unordered`, at chunksize 1 (a message each way per
task) and at chunksize BIG (the messages spread over many tasks). Each runs
with LOW and HIGH tasks; the master's CPU per task is the slope between the
two (`master_cpu_seconds`, rank 0's whole process: start-up cancels out).
Per message: the slope at chunksize 1 less the one at BIG; per task: the
slope at BIG. A task of t seconds goes out in chunks of the pool's automatic
size, k = ceil(2 ms / t) tasks (one message each way per chunk), so the
master spends p + m / k per task and one master's core feeds t / (p + m / k)
workers; the table gives that at 0.1, 1 and 10 ms, and the count that keeps
the master at half a core.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import common_args, fmt, footer, log, mpirun, rankpool_bin, run_json_retry, start, table  # noqa: E402

CHUNK_SECONDS = 2e-3  # the pool's kChunkSeconds (src/rankpool/detail/schedule.hpp)
VARIANTS = ['apply_async', 'imap_unordered']


def slope_us(binary, np_, variant, chunksize, low, high, repeat):
    """The master's CPU per task between LOW and HIGH tasks, least of REPEAT runs each (µs)."""
    cpu = {}
    for tasks in (low, high):
        cmd = mpirun(np_, '--bind-to', 'none', binary, 'sleep', '--tasks', str(tasks), '--seconds', '0',
                     '--variant', variant, '--chunksize', str(chunksize), '--json')
        recs = [run_json_retry(cmd, timeout=1800) for _ in range(repeat)]
        for rec in recs:
            assert rec['completed'] == tasks, rec
        cpu[tasks] = min(r['master_cpu_seconds'] for r in recs)
        log(f'master_cost: {variant} chunksize {chunksize}, {tasks} tasks: master CPU {cpu[tasks]:.3f} s')
    return max(0.0, cpu[high] - cpu[low]) / (high - low) * 1e6


def main():
    ap = common_args(__doc__, quick_help='fewer tasks (~30 s)')
    ap.add_argument('--np', type=int, default=3, help='ranks (default 3: 2 workers)')
    ap.add_argument('--low', type=int, default=50000, help='tasks in the smaller run (default 50000)')
    ap.add_argument('--high', type=int, default=300000, help='tasks in the larger run (default 300000)')
    ap.add_argument('--big', type=int, default=1000, help='the large chunksize (default 1000)')
    args = ap.parse_args()
    if args.quick:
        args.low, args.high = 10000, 60000
    repeat = args.repeat or 3
    start(args, f'One master\'s cost per task and per message ({args.np} ranks on {os.cpu_count()} cores)')
    binary = rankpool_bin()
    rows, feed_rows = [], []
    for variant in VARIANTS:
        per_message_task = slope_us(binary, args.np, variant, 1, args.low, args.high, repeat)
        per_task = slope_us(binary, args.np, variant, args.big, args.low, args.high, repeat)
        per_message = max(0.0, per_message_task - per_task)
        rows.append([f'`{variant}`', fmt(per_message_task, 2), fmt(per_task, 2), fmt(per_message, 2)])
        for grain in (1e-4, 1e-3, 1e-2):
            k = max(1, math.ceil(CHUNK_SECONDS / grain))
            cost = (per_task + per_message / k) * 1e-6
            fed = grain / cost if cost > 0 else float('inf')
            feed_rows.append([f'`{variant}`', f'{grain * 1e3:g} ms', str(k), fmt(cost * 1e6, 2), f'{fed:,.0f}',
                              f'{fed / 2:,.0f}'])
    print(f'The master\'s CPU per task (slope between {args.low:,} and {args.high:,} trivial tasks, least of '
          f'{repeat} runs each), at chunksize 1 and {args.big}; per message = the difference.\n')
    print(table(['variant', 'µs per task, chunksize 1', f'µs per task, chunksize {args.big}',
                 'µs per message (both ways)'], rows, 'lrrr'))
    print('\nWorkers one master feeds: its cost per task at the automatic chunk (k tasks per message, '
          f'{CHUNK_SECONDS * 1e3:g} ms of work), and the workers whose tasks use all of one core of the master '
          '(t ÷ cost) or half of it.\n')
    print(table(['variant', 'task', 'k', 'µs per task', 'workers at one core', 'at half a core'], feed_rows,
                'llrrrr'))
    print()
    footer()


if __name__ == '__main__':
    main()
