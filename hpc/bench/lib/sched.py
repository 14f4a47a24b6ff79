"""sched.sh: the scheduler's targets on 3 ranks.

1. Idle master CPU (target ≤ 1 % of a core): `rankpool sleep --tasks 4
   --seconds 2 --variant V --json` (2 workers, two rounds of long sleeps): the
   master's CPU from --json `master_cpu_seconds`, less that of a run of 2 empty
   tasks (start-up and shut-down only, median of 3), divided by the run's
   `wall_seconds`. One row per variant and per --wait policy.
2. `imap_unordered` master memory over 10^4, 10^5, 10^6 trivial tasks (target:
   flat): rank 0's peak RSS (`/usr/bin/time -f %M` around rank 0 only), at
   the default chunksize and at --chunksize 1.
3. `map` master memory against the results' own size (target ≤ 2×): rank 0's
   peak RSS above a 1-task run of the same job, divided by the bytes of the
   results: 8 per result for `sleep` (a uint64), `result_bytes` from --json for
   `factorial` (the binary magnitudes of every n!, one tag byte each).
   Judged where the results are at least 4 MiB: below that, the ~0.5-1 MiB a
   run of thousands of tasks needs whatever it returns (MPI's receive
   fragments, result messages of up to 64 KiB, the scatter buffer) outweighs
   the results themselves; those rows are printed, marked "not judged".
"""
import os
import sys

JUDGED_RESULT_BYTES = 4 << 20  # see 3. above

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (common_args, fmt, footer, json_lines, log, master_rss_kb, median, mpirun, rankpool_bin,  # noqa: E402
                      run, run_json_retry, show, start, table)

IDLE_VARIANTS = ['apply', 'apply_async', 'map', 'imap', 'imap_unordered']


def has_wait(bin_):
    out, _, _ = run([bin_, 'sleep', '--help'], check=False)
    return '--wait' in out


def idle_section(bin_, args, policies):
    base_cmd = mpirun(3, bin_, 'sleep', '--tasks', '2', '--seconds', '0', '--variant', 'apply_async', '--json')
    base = median([run_json_retry(base_cmd)['master_cpu_seconds'] for _ in range(3)])
    rows, cmds = [], [f'start-up and shut-down only (median of 3): `{show(base_cmd)}`']
    verdicts = []
    for policy in policies:
        for variant in IDLE_VARIANTS:
            cmd = mpirun(3, bin_, 'sleep', '--tasks', str(args.idle_tasks), '--seconds', str(args.idle_seconds),
                         '--variant', variant, '--json', *(['--wait', policy] if policy != 'default' else []))
            rec = run_json_retry(cmd)
            net = max(0.0, rec['master_cpu_seconds'] - base)
            share = net / rec['wall_seconds']
            rows.append([policy, f'`{variant}`', fmt(rec['wall_seconds']), fmt(rec['master_cpu_seconds']),
                         fmt(net), f'{100 * share:.2f} %'])
            verdicts.append((policy, variant, share))
            cmds.append(f'{policy} {variant}: `{show(cmd)}`')
            log(f'sched: idle {policy:8s} {variant:15s} master net {net:.4f} s over {rec["wall_seconds"]:.2f} s '
                f'({100 * share:.2f} %)')
    print(f'### Idle master CPU while {args.idle_tasks} tasks sleep {args.idle_seconds} s each on 2 workers\n')
    print(f'Start-up and shut-down alone cost the master {fmt(base)} CPU s (median of 3), subtracted below.\n')
    print(table(['--wait', 'variant', 'wall s', 'master CPU s (process)', 'master CPU s net', 'net ÷ wall'],
                rows, 'llrrrr'))
    print()
    for policy, variant, share in verdicts:
        print(f'- {policy} `{variant}`: {100 * share:.2f} % of a core (target ≤ 1 %): '
              f'**{"met" if share <= 0.01 else "not met"}**')
    print()
    return cmds


def memory_section(bin_, counts, fact_numbers):
    cmds = []

    def sleep_cmd(variant, tasks, chunksize=None):
        c = [bin_, 'sleep', '--tasks', str(tasks), '--seconds', '0', '--variant', variant, '--json']
        return c + (['--chunksize', str(chunksize)] if chunksize else [])

    def rss(cmd):
        out, kb = master_rss_kb(3, cmd, timeout=1800)
        return json_lines(out)[-1], kb

    # imap_unordered: flat?
    imap = {}
    for label, cs in (('default', None), ('1', 1)):
        for tasks in counts:
            rec, kb = rss(sleep_cmd('imap_unordered', tasks, cs))
            assert rec['completed'] == tasks, rec
            imap[(label, tasks)] = (kb, rec['wall_seconds'])
            log(f'sched: imap_unordered chunksize {label:7s} {tasks:>8d} tasks: rank 0 peak {kb / 1024:.1f} MiB')
        cmds.append(f'imap_unordered, chunksize {label}: `{show(mpirun(3, *sleep_cmd("imap_unordered", counts[-1], cs)))}`'
                    ' (rank 0 under `/usr/bin/time -f %M`)')
    print('### `imap_unordered` master memory, trivial tasks\n')
    rows = []
    for label in ('default', '1'):
        rows.append([f'`imap_unordered`, chunksize {label}'] +
                    [fmt(imap[(label, t)][0] / 1024) for t in counts] +
                    [fmt((imap[(label, counts[-1])][0] - imap[(label, counts[0])][0]) * 1024 /
                         (counts[-1] - counts[0]))])
    print(table(['rank 0 peak RSS, MiB'] + [f'{t:,} tasks' for t in counts] +
                [f'bytes per extra task, {counts[0]:,} → {counts[-1]:,}'], rows))
    print()
    for label in ('default', '1'):
        lo, hi = imap[(label, counts[0])][0], imap[(label, counts[-1])][0]
        flat = hi - lo < 0.1 * lo + 2048   # within 10 % + 2 MiB
        print(f'- chunksize {label}: {fmt(lo / 1024)} → {fmt(hi / 1024)} MiB: **{"flat, met" if flat else "grows, not met"}**')
    print()

    # map: memory against the results
    rows = []
    verdicts = []
    _, base_sleep = rss(sleep_cmd('map', 1))
    for tasks in counts:
        rec, kb = rss(sleep_cmd('map', tasks))
        assert rec['completed'] == tasks, rec
        results = 8 * tasks
        above = (kb - base_sleep) * 1024
        rows.append([f'`sleep`, {tasks:,} tasks', fmt(kb / 1024), fmt(base_sleep / 1024), fmt(above / 2**20),
                     fmt(results / 2**20), fmt(above / results) + '×'])
        verdicts.append((f'sleep {tasks:,} tasks', above / results, results))
        log(f'sched: map sleep {tasks:>8d}: rank 0 peak {kb / 1024:.1f} MiB, {above / results:.2f}× the results')
    cmds.append(f'map, sleep: `{show(mpirun(3, *sleep_cmd("map", counts[-1])))}` and the 1-task run '
                f'`{show(mpirun(3, *sleep_cmd("map", 1)))}`')
    fcmd = [bin_, 'factorial', '--numbers', fact_numbers, '--variant', 'map', '--json']
    fbase = [bin_, 'factorial', '--numbers', '1', '--variant', 'map', '--json']
    _, base_fact = rss(fbase)
    rec, kb = rss(fcmd)
    results = rec['result_bytes']
    above = (kb - base_fact) * 1024
    rows.append([f'`factorial --numbers {fact_numbers}`', fmt(kb / 1024), fmt(base_fact / 1024), fmt(above / 2**20),
                 fmt(results / 2**20), fmt(above / results) + '×'])
    verdicts.append((f'factorial {fact_numbers}', above / results, results))
    log(f'sched: map factorial {fact_numbers}: rank 0 peak {kb / 1024:.1f} MiB, {above / results:.2f}× the results')
    cmds.append(f'map, factorial: `{show(mpirun(3, *fcmd))}` and the 1-task run `{show(mpirun(3, *fbase))}`')
    print('### `map` master memory against the results\' own size (default chunksize)\n')
    print(table(['run', 'rank 0 peak RSS MiB', '1-task run MiB', 'above the 1-task run MiB', 'results MiB',
                 'above ÷ results'], rows, 'lrrrrr'))
    print()
    for what, r, results in verdicts:
        if results < JUDGED_RESULT_BYTES:
            print(f'- {what}: {fmt(r)}× the results, {fmt(results / 2**20)} MiB of them: not judged '
                  f'(under {JUDGED_RESULT_BYTES >> 20} MiB of results the run\'s fixed buffers dominate)')
            continue
        print(f'- {what}: {fmt(r)}× the results (target ≤ 2×): **{"met" if r <= 2 else "not met"}**')
    print()
    return cmds


def main():
    ap = common_args(__doc__, quick_help='10^4 and 10^5 tasks, shorter sleeps (~30 s)')
    ap.add_argument('--wait', default='default',
                    help='comma list of wait policies for the idle rows: default (no option), block, backoff, auto')
    ap.add_argument('--tasks', default=None, help='task counts for the memory rows (default 10000,100000,1000000)')
    ap.add_argument('--idle-tasks', type=int, default=4)
    ap.add_argument('--idle-seconds', type=float, default=None, help='sleep per idle task (default 2; --quick 1)')
    ap.add_argument('--factorial-numbers', default=None, help='n of the factorial map row (default 1-10000)')
    ap.add_argument('--skip', default='', help='comma list of sections to skip: idle, memory')
    args = ap.parse_args()
    counts = [int(t) for t in (args.tasks or ('10000,100000' if args.quick else '10000,100000,1000000')).split(',')]
    args.idle_seconds = args.idle_seconds or (1.0 if args.quick else 2.0)
    fact_numbers = args.factorial_numbers or ('1-4000' if args.quick else '1-10000')
    start(args, 'Scheduler targets: idle master CPU, imap_unordered and map master memory, 2 workers on 3 ranks')
    bin_ = rankpool_bin()
    policies = args.wait.split(',')
    notes = []
    if any(p != 'default' for p in policies) and not has_wait(bin_):
        notes.append(f'`--wait {",".join(p for p in policies if p != "default")}` asked for but '
                     '`rankpool sleep --help` has no `--wait` option: those rows are skipped.')
        policies = [p for p in policies if p == 'default']
    skip = set(filter(None, args.skip.split(',')))
    cmds = []
    if 'idle' not in skip and policies:
        cmds += idle_section(bin_, args, policies)
    if 'memory' not in skip:
        cmds += memory_section(bin_, counts, fact_numbers)
    for n in notes:
        print(f'- {n}')
    print('\n### Commands\n')
    for c in cmds:
        print(f'- {c}')
    footer()


if __name__ == '__main__':
    main()
