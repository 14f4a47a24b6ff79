"""memory.sh: the master's peak RSS over 10^4, 10^5, 10^6 trivial tasks.

rank 0 alone runs under `/usr/bin/time -f %M` (peak RSS, KiB):
  mpirun -np 3 sh -c 'if [ $OMPI_COMM_WORLD_RANK = 0 ]; then exec /usr/bin/time -f %M rankpool ...; else exec rankpool ...; fi'
imap_unordered and imap (chunksize 1) should stay flat; map holds every result
(8 bytes each for the sleep job) and grows with the task count. Beside them
Python's Pool(2) master (ru_maxrss of the process, interpreter included).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (LIB, PY, common_args, fmt, footer, json_lines, log, master_rss_kb, mpirun,  # noqa: E402
                      rankpool_bin, run, show, start, table)

VARIANTS = ['imap_unordered', 'imap', 'map']


def main():
    ap = common_args(__doc__)
    ap.add_argument('--tasks', default='10000,100000,1000000')
    ap.add_argument('--no-peers', action='store_true')
    args = ap.parse_args()
    counts = [int(t) for t in args.tasks.split(',')]
    start(args, 'Memory: the master\'s peak RSS, trivial tasks, 2 workers on 3 ranks')
    bin_ = rankpool_bin()

    def cmd_for(variant, tasks):
        c = [bin_, 'sleep', '--tasks', str(tasks), '--seconds', '0', '--variant', variant, '--json']
        return c + (['--chunksize', '1'] if variant != 'map' else [])

    _, base = master_rss_kb(3, cmd_for('imap_unordered', 1))
    res = {}
    for tasks in counts:
        for variant in VARIANTS:
            out, rss = master_rss_kb(3, cmd_for(variant, tasks))
            rec = json_lines(out)[-1]
            assert rec['completed'] == tasks, rec
            res[(variant, tasks)] = (rss, rec['wall_seconds'])
            log(f'memory: rankpool {variant:15s} {tasks:>8d} tasks: rank 0 peak RSS {rss / 1024:.1f} MiB '
                f'({rec["wall_seconds"]:.2f} s)')
    peers = {}
    peer_cmds = []
    if not args.no_peers:
        for tasks in counts:
            for variant in ('imap_unordered', 'map'):
                if args.quick and variant == 'imap_unordered' and tasks > 100000:
                    continue   # ~12 s at chunksize 1
                cmd = [PY, os.path.join(LIB, 'peer_extra.py'), 'memory', '--tasks', str(tasks), '--variant', variant]
                rec = json_lines(run(cmd, timeout=1800)[0])[-1]
                peers[(variant, tasks)] = rec
                peer_cmds.append(show(cmd))
                log(f'memory: Python Pool {variant:15s} {tasks:>8d}: peak {rec["peak_rss_kb"] / 1024:.1f} MiB')

    def mib(kb):
        return fmt(kb / 1024)

    rows = []
    for tasks in counts:
        row = [f'{tasks:,}']
        for variant in VARIANTS:
            rss, wall = res[(variant, tasks)]
            row.append(mib(rss))
        map_rss = res[('map', tasks)][0]
        row.append(fmt((map_rss - base) * 1024 / tasks))
        for variant in ('imap_unordered', 'map'):
            p = peers.get((variant, tasks))
            row.append(mib(p['peak_rss_kb']) if p else '–')
        rows.append(row)
    print(f'rank 0 peak RSS in MiB; a 1-task run peaks at {mib(base)} MiB. imap variants at chunksize 1, '
          '`map` at its default chunksize.\n')
    print(table(['tasks', 'rankpool `imap_unordered`', 'rankpool `imap`', 'rankpool `map`',
                 '`map`: bytes per task above a 1-task run', 'Python Pool `imap_unordered` (master)',
                 'Python Pool `map` (master)'], rows, 'lrrrrrr'))
    print()
    lo, hi = counts[0], counts[-1]
    print('### Targets\n')
    for variant in ('imap_unordered', 'imap'):
        grow = res[(variant, hi)][0] - res[(variant, lo)][0]
        flat = grow < 0.1 * res[(variant, lo)][0] + 2048   # within 10 % + 2 MiB
        print(f'- `{variant}`: {lo:,} → {hi:,} tasks, rank 0 peak RSS {mib(res[(variant, lo)][0])} → '
              f'{mib(res[(variant, hi)][0])} MiB (+{fmt(grow * 1024 / (hi - lo))} bytes per extra task): '
              f'**{"flat, met" if flat else "grows, not met"}**')
    grow = res[('map', hi)][0] - res[('map', lo)][0]
    print(f'- `map`: +{fmt(grow * 1024 / (hi - lo))} bytes per extra task for an 8-byte result '
          '(the result vector, the received buffer and task records)')
    print()
    print('### Commands\n')
    wrap = "mpirun -np 3 sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 0 ]; then exec /usr/bin/time -f %M \"$@\"; " \
           "else exec \"$@\"; fi' sh"
    for variant in VARIANTS:
        print(f'- `{wrap} {show(cmd_for(variant, counts[-1]))}` (and --tasks {", ".join(str(c) for c in counts)}, 1)')
    for c in peer_cmds:
        print(f'- `{c}`')
    footer()


if __name__ == '__main__':
    main()
