"""grain.sh: % of the machine's ceiling at 0.1, 0.5 and 2 ms task grain.

Master + K workers (`mpirun -np K+1 --bind-to none`), factorials at default
settings. For each grain, a list of COUNT n (a band LO-HI of n repeated until
COUNT, so every task takes about the grain here):

- serial: `rankpool factorial --numbers LIST --variant serial --json`, one
  process, no mpirun; its `wall_seconds`.
- ceiling: K bare serial processes at once, the list dealt cyclically among
  them, no MPI; the slowest one's `wall_seconds` (start-up excluded, as in
  every rankpool row). The ceiling speed-up is serial ÷ that.
- each variant under mpirun; its `wall_seconds` (MPI start-up excluded).
  % of ceiling = (serial ÷ variant) ÷ (serial ÷ ceiling) = ceiling ÷ variant.

Best of --repeat (2) for each of the three. Peers on tasks of the same
milliseconds (math.factorial of a smaller n, its own band): Python's
multiprocessing.Pool(K) `map` and `imap_unordered` at their default chunksize
and mpi4py.futures `executor.map` at chunksize 1 and 16, warm pools, start-up
excluded; their speed-up over their own serial loop (plain Python) divided by
the same machine ceiling.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (LIB, PY, CpuMeter, common_args, fmt, footer, json_lines, log, rankpool_bin, rel,  # noqa: E402
                      run, run_json_retry, show, start, table)

VARIANTS = ['apply', 'apply_async', 'map', 'map_async', 'imap', 'imap_unordered']
# label (ms), tasks, rankpool's band of n (GMP mpz_fac_ui), the peers' band (math.factorial). The bands
# give about the label's milliseconds per task on the quiet 2-vCPU VM (calibrated against per_task.sh's
# quiet 0.55 ms for n = 20000-26000); a busy machine shows more: the tables print the grain measured.
GRAINS = [
    ('0.1', 20005, (5500, 9500), (2200, 2900)),
    ('0.5', 8002, (20000, 24000), (6000, 6700)),
    ('2', 4001, (52000, 56000), (13000, 13700)),
]
PEER_COLUMNS = [('python-pool', 'map', 'Pool `map`'),
                ('python-pool', 'imap_unordered', 'Pool `imap_unordered`'),
                ('mpi4py.futures', 'map chunksize 1', 'mpi4py `map` cs 1'),
                ('mpi4py.futures', 'map chunksize 16', 'mpi4py `map` cs 16')]


def band_list(count, band):
    """COUNT n spread over the band LO-HI: the whole band repeated while COUNT
    allows, else evenly spaced n of it, so that a shorter (--quick) list keeps
    the grain. grain_peers.py builds its lists the same way."""
    lo, hi = band
    width = hi - lo + 1
    per = min(width, count)
    return [lo + (i % per) * width // per for i in range(count)]


def numbers_spec(count, band):
    """The list as rankpool's --numbers: whole bands LO-HI where it is one, else every n."""
    lo, hi = band
    width = hi - lo + 1
    if count < width:
        return ','.join(str(n) for n in band_list(count, band))
    whole, part = divmod(count, width)
    return ','.join([f'{lo}-{hi}'] * whole + ([f'{lo}-{lo + part - 1}'] if part else []))


def short(cmd_line, spec, count, band):
    """A command line with a long --numbers list abbreviated."""
    if len(spec) <= 200:
        return cmd_line
    return cmd_line.replace(spec, f"'<{count} n evenly spaced over {band[0]}-{band[1]}>'")


def mpirun(np_, bind, *cmd):
    return ['mpirun', '-np', str(np_), *(['--bind-to', bind] if bind != 'default' else []), *cmd]


def ceiling_run(bin_, numbers, k):
    """k bare serial processes, the list dealt cyclically; the slowest one's wall_seconds."""
    parts = [','.join(str(n) for n in numbers[i::k]) for i in range(k)]
    if max(len(p) for p in parts) > 120_000:
        sys.exit('grain: a ceiling part exceeds the 128 KiB argument limit; use fewer tasks or more ranks')
    with CpuMeter() as meter:
        procs = [subprocess.Popen([bin_, 'factorial', '--numbers', p, '--variant', 'serial', '--json'],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for p in parts]
        outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError('grain: a ceiling process failed')
    walls = [json_lines(o)[-1]['wall_seconds'] for o in outs]
    return max(walls), meter.others_share()


def supports_wait(bin_):
    out, _, _ = run([bin_, 'factorial', '--help'], check=False)
    return '--wait' in out


def main():
    ap = common_args(__doc__, quick_help='a fifth of the tasks (~1 min here)')
    ap.add_argument('--np', type=int, default=3, help='ranks: master + NP-1 workers (default 3)')
    ap.add_argument('--wait', default='default',
                    help='comma list of rankpool wait policies to measure: default (no --wait option), '
                         'block, backoff, auto (default: default)')
    ap.add_argument('--grains', default=','.join(g[0] for g in GRAINS),
                    help='comma list of grains in ms among ' + ', '.join(g[0] for g in GRAINS))
    ap.add_argument('--scale', type=float, default=None,
                    help='multiply every task count (default 1; --quick 0.2); e.g. 4 with --np 16')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    ap.add_argument('--bind', default='none', help="mpirun --bind-to (default none; 'default': no option)")
    ap.add_argument('--no-peers', action='store_true')
    ap.add_argument('--master-works', action='store_true',
                    help='rank 0 runs tasks too (rankpool --master-works): NP ranks against NP bare processes')
    ap.epilog = ('RANKPOOL_BASELINE_BIN=path adds the same rows for a second (older) rankpool binary, '
                 'with its own serial run and ceiling, in the same rounds.')
    args = ap.parse_args()
    repeat = args.repeat or 2
    scale = args.scale if args.scale is not None else (0.2 if args.quick else 1.0)
    np_ = args.np
    k = np_ if args.master_works else np_ - 1
    if np_ < 2:
        sys.exit('grain: --np must be at least 2')
    variants = args.variants.split(',')
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        sys.exit(f'grain: unknown variant {unknown[0]}')
    grains = [g for g in GRAINS if g[0] in args.grains.split(',')]
    if not grains:
        sys.exit('grain: no known grain in --grains')
    grains = [(label, max(k, int(round(count * scale))), band, pband) for label, count, band, pband in grains]
    who_works = f'{np_} ranks, the master working too,' if args.master_works else f'master + {k} workers'
    start(args, f'Task grain: % of the machine\'s ceiling, {who_works} on {os.cpu_count()} cores')
    bin_ = rankpool_bin()
    bins = [('current', bin_)]
    base = os.environ.get('RANKPOOL_BASELINE_BIN')
    if base:
        if not os.access(base, os.X_OK):
            sys.exit(f'grain: RANKPOOL_BASELINE_BIN={base} is not an executable')
        bins.append(('baseline', os.path.abspath(base)))

    # one row set per (binary, wait policy); --wait is passed only where the binary has it
    configs = []    # (row name, who, binary, policy)
    notes = []
    for who, b in bins:
        has = supports_wait(b)
        for policy in args.wait.split(','):
            if policy != 'default' and not has:
                notes.append(f'`--wait {policy}` asked for but `{rel(b)} factorial --help` has no `--wait` option: '
                             'those rows are skipped.')
                log(f'grain: {rel(b)} has no --wait: skipping --wait {policy}')
                continue
            configs.append((policy if who == 'current' else f'baseline, {policy}', who, b, policy))

    serial = {}     # (who, grain) -> [wall]
    ceiling = {}    # (who, grain) -> [(wall, others)]
    rows = {}       # (grain, row name, variant) -> [record]
    cmds = {}
    for rep in range(repeat):
        for label, count, band, _ in grains:
            spec = numbers_spec(count, band)
            for who, b in bins:
                cmd = [b, 'factorial', '--numbers', spec, '--variant', 'serial', '--json']
                rec = run_json_retry(cmd, timeout=3600)
                assert rec['completed'] == count, rec
                serial.setdefault((who, label), []).append(rec['wall_seconds'])
                cmds[(label, who, 'serial')] = short(show(cmd), spec, count, band)
                try:
                    wall, others = ceiling_run(b, band_list(count, band), k)
                except RuntimeError as e:
                    log(f'{e}; trying again')
                    wall, others = ceiling_run(b, band_list(count, band), k)
                ceiling.setdefault((who, label), []).append((wall, others))
                log(f'grain {label} ms (run {rep + 1}/{repeat}, {who}): serial {serial[(who, label)][-1]:.3f} s, '
                    f'{k} bare processes {wall:.3f} s')
            for name, who, b, policy in configs:
                for variant in variants:
                    cmd = [b, 'factorial', '--numbers', spec, '--variant', variant, '--json']
                    if policy != 'default':
                        cmd += ['--wait', policy]
                    if args.master_works:
                        cmd += ['--master-works']
                    full = mpirun(np_, args.bind, *cmd)
                    with CpuMeter() as meter:
                        rec = run_json_retry(full, timeout=3600)
                    assert rec['completed'] == count, rec
                    rec['others'] = meter.others_share()
                    rows.setdefault((label, name, variant), []).append(rec)
                    cmds[(label, name, variant)] = short(show(full), spec, count, band)
                    log(f'  {name:18s} {variant:15s} {rec["wall_seconds"]:.3f} s')

    peers = {}
    peer_cmds = []
    if not args.no_peers:
        gspecs = []
        for label, count, _, pband in grains:
            gspecs += ['--grain', f'{label}:{count}:{pband[0]}-{pband[1]}']
        for cmd in ([PY, os.path.join(LIB, 'grain_peers.py'), 'serial', '--repeat', str(repeat), *gspecs],
                    [PY, os.path.join(LIB, 'grain_peers.py'), 'pool', '--workers', str(k), '--repeat', str(repeat),
                     *gspecs],
                    mpirun(np_, args.bind, PY, '-m', 'mpi4py.futures', os.path.join(LIB, 'grain_peers.py'), 'mpi4py',
                           '--repeat', str(repeat), *gspecs)):
            log(f'grain: peers: {show(cmd)[:120]} ...')
            try:
                out, _, _ = run(cmd, timeout=3600)
            except RuntimeError as e:
                log(f'grain: peer run failed, trying again: {str(e)[:600]}')
                try:
                    out, _, _ = run(cmd, timeout=3600)
                except RuntimeError as again:
                    # a peer missing on this machine (no mpi4py) leaves its columns empty, not the table
                    said = [ln for ln in str(again).splitlines() if ln.strip() and not ln.startswith('---')]
                    first = said[-1][:200] if said else 'no message'
                    notes.append(f'A peer failed twice, its columns show –: `{show(cmd)[:160]} ...` ({first})')
                    log(f'grain: peer run failed again, its columns stay empty: {str(again)[:600]}')
                    continue
            peer_cmds.append(show(cmd))
            for rec in json_lines(out):
                if not rec['ok']:
                    raise RuntimeError(f'grain: wrong peer result: {rec}')
                peers[(rec['peer'], rec['variant'], rec['grain'])] = rec
                log(f'  {rec["peer"]:15s} {rec["variant"]:18s} {rec["grain"]:>4s} ms {rec["wall_s"]:.3f} s')

    # ---- the table
    def best_wall(recs):
        return min(r['wall_seconds'] for r in recs)

    head = ['task grain', 'rankpool (`--wait`)'] + [f'`{v}`' for v in variants]
    if peers:
        head += [c[2] for c in PEER_COLUMNS]
    out_rows = []
    detail = []
    for label, count, band, pband in grains:
        grain_ms = min(serial[('current', label)]) / count * 1e3
        for i, (name, who, _, _) in enumerate(configs):
            ctl = min(w for w, _ in ceiling[(who, label)])
            row = [f'{fmt(grain_ms, 2)} ms ({count:,} tasks)' if i == 0 else '', name]
            for variant in variants:
                recs = rows.get((label, name, variant))
                row.append(f'{100 * ctl / best_wall(recs):.0f} %' if recs else '–')
            if peers:
                if i == 0:
                    ps = peers.get(('python', 'serial', label))
                    ceil_speed = min(serial[('current', label)]) / ctl
                    for peer, pv, _ in PEER_COLUMNS:
                        p = peers.get((peer, pv, label))
                        row.append(f'{100 * (ps["wall_s"] / p["wall_s"]) / ceil_speed:.0f} %' if p and ps else '–')
                else:
                    row += [''] * len(PEER_COLUMNS)
            out_rows.append(row)
        ps = peers.get(('python', 'serial', label))
        for who, _ in bins:
            s_ = min(serial[(who, label)])
            ctl = min(w for w, _ in ceiling[(who, label)])
            detail.append([f'{label} ms' + (f' ({who})' if base else ''), f'{count:,}', f'{band[0]}–{band[1]}',
                           fmt(s_), fmt(s_ / count * 1e3, 3), fmt(ctl), fmt(s_ / ctl) + '×',
                           f'{100 * max(o for _, o in ceiling[(who, label)]):.1f} %',
                           f'{pband[0]}–{pband[1]}' if ps else '–', fmt(ps['wall_s']) if ps else '–',
                           fmt(ps['ms_per_task'], 3) if ps else '–'])
    print(f'% of ceiling = speed-up over serial ÷ the ceiling speed-up ({k} bare serial processes, each one of '
          f'{k} cyclic shares of the list, measured in this run); rankpool rows at default settings, best of {repeat}; '
          'peers: their speed-up over their own serial loop ÷ the same ceiling.\n')
    print(table(head, out_rows, 'll' + 'r' * (len(head) - 2)))
    print()
    busiest = max([o for v in ceiling.values() for _, o in v] +
                  [r['others'] for v in rows.values() for r in v])
    if busiest > 0.1:
        print(f'**Warning**: other processes took up to {100 * busiest:.0f} % of the machine during these runs, '
              'so the ceiling and the rows saw different machines; treat the percentages as noise and re-run '
              'on a quiet machine (`--wait-quiet 1`).\n')
    # A hypervisor's steal shows in no process's CPU: the same serial work
    # taking different times is how a run sees it.
    unsteady = []
    for label, _, _, _ in grains:
        for what, walls in (('serial', serial[('current', label)]),
                            ('ceiling', [w for w, _ in ceiling[('current', label)]])):
            if len(walls) > 1 and max(walls) > 1.05 * min(walls):
                unsteady.append(f'{label} ms {what} {fmt(min(walls))}–{fmt(max(walls))} s')
    if unsteady:
        print('**Warning**: the host was not steady: the same work took ' + ', '.join(unsteady) +
              ' (more than 5 % apart); a percentage above can move by as much. Re-run when the host is quiet, '
              'or with a larger `--repeat`.\n')
    for n in dict.fromkeys(notes):
        print(f'{n}\n')
    print('Per grain: rankpool serial and the ceiling (best of runs), and the peers\' serial loop.\n')
    print(table(['grain', 'tasks', 'rankpool n band', 'serial s', 'ms per task', f'{k} bare processes s',
                 'ceiling speed-up', "others' CPU during the ceiling runs, max % of machine", 'peer n band',
                 'peer serial s', 'peer ms per task'],
                detail, 'lrlrrrrrlrr'))
    print()
    print('Each rankpool run: wall s (best of runs), speed-up over serial, master CPU ÷ wall, '
          "and the other processes' CPU during the best run (share of the machine).\n")
    det = []
    for label, count, _, _ in grains:
        for name, who, _, _ in configs:
            s_ = min(serial[(who, label)])
            for variant in variants:
                recs = rows.get((label, name, variant))
                if not recs:
                    continue
                b = min(recs, key=lambda r: r['wall_seconds'])
                det.append([f'{label} ms', name, f'`{variant}`', ' / '.join(fmt(r['wall_seconds']) for r in recs),
                            fmt(s_ / b['wall_seconds']) + '×',
                            f'{100 * b["master_cpu_seconds"] / b["wall_seconds"]:.1f} %',
                            f'{100 * b["others"]:.1f} %'])
    print(table(['grain', 'rankpool (`--wait`)', 'variant', 'wall s (each run)', 'speed-up (best)',
                 'master CPU ÷ wall', "others' CPU"], det, 'lllrrrr'))
    print()
    print('### Commands\n')
    for label, count, band, _ in grains:
        for who, b in bins:
            print(f'- {label} ms serial ({who}): `{cmds[(label, who, "serial")]}`')
            print(f'- {label} ms ceiling ({who}): {k} × `{rel(b)} factorial --numbers <one of {k} cyclic shares of '
                  'the list> --variant serial --json` at once')
        for name, _, _, _ in configs:
            print(f'- {label} ms rankpool {name} (every variant alike): `{cmds[(label, name, variants[0])]}`')
    for c in peer_cmds:
        print(f'- peer: `{c}`')
    if np_ == 3:
        print('- 16 ranks (on a machine with ≥ 16 cores): `hpc/bench/grain.sh --np 16 --scale 4 '
              '--wait default,block,backoff`')
    footer()


if __name__ == '__main__':
    main()
