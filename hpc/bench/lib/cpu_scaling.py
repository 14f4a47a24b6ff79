"""cpu_scaling.sh: CPU-bound scaling, factorial of a range of n, 3 ranks on 2 cores.

Every variant against `serial`, with the master on a third rank: speed-up
(target >= 1.9x), the master's CPU, and how evenly the two workers were busy
(from --trace-out task spans). A 1-worker row (--pool 1) shows what one
worker loses to the pool. Beside them Python's Pool(2) and mpi4py.futures
(mpirun -np 3) on the same kind of work: get_factorial (Python's
math.factorial, ~10x slower than GMP here) over every STEP-th n of the same
range, so their serial run takes about as long as rankpool's.
"""
import collections
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (LIB, PY, CpuMeter, common_args, fmt, footer, json_lines, log, mpirun, pct, per_rank_usage,  # noqa: E402
                      rankpool_bin, ratio, rel, run, run_json, show, start, table)

VARIANTS = ['apply', 'apply_async', 'map', 'map_async', 'imap', 'imap_unordered']
POOL_PEER = {v: v for v in VARIANTS}
MPI4PY_PEER = {'apply': 'submit_result', 'apply_async': 'submit', 'map': 'map_chunked', 'map_async': 'map_chunked',
               'imap': 'map', 'imap_unordered': 'submit'}


def busy_by_rank(trace_path):
    with open(trace_path) as f:
        events = json.load(f)['traceEvents']
    busy = collections.defaultdict(float)
    last = collections.defaultdict(float)
    for e in events:
        if e.get('ph') == 'X':
            busy[e['tid']] += e['dur'] / 1e6
            last[e['tid']] = max(last[e['tid']], (e['ts'] + e['dur']) / 1e6)
    return dict(busy), dict(last)


def rankpool_run(bin_, numbers, variant, np_=3, pool=None, singleton=False, chunksize=None):
    with tempfile.TemporaryDirectory(prefix='rankpool-bench-') as tmp:
        trace = os.path.join(tmp, 'trace.json')
        cmd = [bin_, 'factorial', '--numbers', numbers, '--variant', variant, '--json']
        if pool:
            cmd += ['--pool', str(pool)]
        if chunksize:
            cmd += ['--chunksize', str(chunksize)]
        full = cmd if singleton else mpirun(np_, *cmd)
        load_before = os.getloadavg()[0]
        with CpuMeter() as meter:
            if singleton:
                rec = run_json(full + ['--trace-out', trace], timeout=3600)
                rec['rank_cpu'] = {}
            else:   # every rank under lib/rusage_exec.py: CPU per rank
                out, usage = per_rank_usage(np_, cmd + ['--trace-out', trace], timeout=3600)
                rec = json_lines(out)[-1]
                rec['rank_cpu'] = {r: u['cpu'] for r, u in usage.items()}
        rec['load'] = load_before
        rec['others'] = meter.others_share()
        rec['busy'], rec['last_end'] = busy_by_rank(trace)
    rec['command'] = show(full)
    return rec


def two_processes(bin_, numbers, k=2):
    """The machine's own ceiling right now: k independent serial rankpool
    processes (no MPI), n dealt cyclically; wall time of the slowest."""
    import subprocess
    import time
    a, b = (int(x) for x in numbers.split('-'))
    halves = [','.join(str(n) for n in range(a + i, b + 1, k)) for i in range(k)]
    with CpuMeter() as meter:
        procs = [subprocess.Popen([bin_, 'factorial', '--numbers', h, '--variant', 'serial', '--json'],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for h in halves]
        outs = [json_lines(p.communicate()[0])[-1] for p in procs]
    return meter.wall, [o['wall_seconds'] for o in outs], meter.others_share()


def peer_runs(numbers, step, which, np_=3):
    spec = f'{numbers}:{step}'
    if which == 'python-pool':
        cmd = [PY, os.path.join(LIB, 'peer_extra.py'), 'factorial', '--numbers', spec, '--pool', str(np_ - 1)]
    else:
        cmd = mpirun(np_, PY, '-m', 'mpi4py.futures', os.path.join(LIB, 'peer_extra.py'), 'factorial',
                     '--peer', 'mpi4py', '--numbers', spec)
    out, _, _ = run(cmd, timeout=3600)
    return {r['variant']: r for r in json_lines(out)}, show(cmd)


def main():
    ap = common_args(__doc__)
    ap.add_argument('--numbers', default=None, help='A-B (default 20000-33000, ~10 s serial here; quick 20000-21500)')
    ap.add_argument('--peer-step', type=int, default=10, help='peers take every STEP-th n of the range (default 10)')
    ap.add_argument('--no-peers', action='store_true')
    ap.add_argument('--np', type=int, default=3,
                    help='ranks (default 3: master + 2 workers on 2 cores; 17 on a 16-core machine)')
    args = ap.parse_args()
    numbers = args.numbers or ('20000-21500' if args.quick else '20000-33000')
    np_ = args.np
    nw = np_ - 1
    start(args, f'CPU-bound scaling: factorial --numbers {numbers}, {np_} ranks on {os.cpu_count()} cores')
    bin_ = rankpool_bin()

    log('cpu_scaling: rankpool serial (one process, no mpirun)')
    serial = rankpool_run(bin_, numbers, 'serial', singleton=True)
    log(f'  serial {serial["wall_seconds"]:.3f} s')
    log(f'cpu_scaling: control: {nw} independent serial processes, n dealt cyclically')
    ctl_wall, ctl_each, ctl_others = two_processes(bin_, numbers, nw)
    log(f'  {nw} processes: {ctl_wall:.3f} s (each {" / ".join(f"{x:.3f}" for x in ctl_each)} s of compute)')
    rows_rp = []
    log(f'cpu_scaling: rankpool serial under mpirun -np {np_} (workers idle)')
    rows_rp.append((f'serial, mpirun -np {np_} ({nw} idle workers)', rankpool_run(bin_, numbers, 'serial', np_)))
    for variant in VARIANTS:
        rec = rankpool_run(bin_, numbers, variant, np_)
        log(f'  {variant:15s} {rec["wall_seconds"]:.3f} s  speed-up {serial["wall_seconds"] / rec["wall_seconds"]:.3f}')
        rows_rp.append((variant, rec))
    rec = rankpool_run(bin_, numbers, 'imap_unordered', np_, chunksize=8)
    log(f'  imap_unordered --chunksize 8 {rec["wall_seconds"]:.3f} s')
    rows_rp.append(('imap_unordered --chunksize 8', rec))
    for variant in ('apply_async', 'map'):
        rec = rankpool_run(bin_, numbers, variant, np_, pool=1)
        log(f'  {variant:15s} --pool 1 {rec["wall_seconds"]:.3f} s')
        rows_rp.append((f'{variant} --pool 1', rec))

    peers = {}
    peer_cmds = []
    if not args.no_peers:
        for which in ('python-pool', 'mpi4py'):
            log(f'cpu_scaling: peer {which} on every {args.peer_step}th n')
            peers[which], c = peer_runs(numbers, args.peer_step, which, np_)
            peer_cmds.append(c)
            for v, r in peers[which].items():
                log(f'  {which} {v:15s} {r["wall_s"]:.3f} s')

    base = serial['wall_seconds']
    rows = [['`serial` (no mpirun)', 0, fmt(base), '1.00×', '–', fmt(serial['master_cpu_seconds']),
             pct(serial['master_cpu_seconds'] / base), '–', '–', '–', '–', '–', '–', '–', pct(serial['others'])]]
    ctl = max(ctl_each)   # their own wall_seconds: start-up excluded, as in every other row
    rows.append([f'control: {nw} independent serial processes, n dealt cyclically (no MPI)', nw, fmt(ctl),
                 fmt(base / ctl) + '×', pct(base / ctl / nw), '–', '–',
                 ' / '.join(fmt(x) for x in ctl_each), '–', '–', '–', '–', '–', '–', pct(ctl_others)])
    for label, rec in rows_rp:
        variant = label.split()[0].rstrip(',')
        workers = rec['workers'] if variant != 'serial' else 0
        wall = rec['wall_seconds']
        speed = base / wall
        busy = {r: b for r, b in rec['busy'].items() if r != 0}
        balance = '–'
        if len(busy) > 1:
            balance = ' / '.join(fmt(busy[r]) for r in sorted(busy)) + f' (max ÷ mean {fmt(max(busy.values()) / (sum(busy.values()) / len(busy)), 4)})'
        elif busy:
            balance = fmt(next(iter(busy.values())))
        # from the first task's start to the end of the run, after the last task ended
        tail = wall - max(rec['last_end'].values()) if rec['last_end'] and variant != 'serial' else None
        pp = peers.get('python-pool', {})
        mp = peers.get('mpi4py', {})
        p_speed = pp[POOL_PEER[variant]]['wall_s'] if variant in POOL_PEER and pp else None
        m_name = MPI4PY_PEER.get(variant)
        m_speed = mp[m_name]['wall_s'] if m_name and mp else None
        if label.endswith('--pool 1') or '--chunksize' in label:
            p_speed = m_speed = None
        p_sp = pp['serial']['wall_s'] / p_speed if p_speed else None
        m_sp = mp['serial']['wall_s'] / m_speed if m_speed else None
        rows.append([f'`{label}`', workers, fmt(wall), fmt(speed) + '×',
                     pct(speed / max(workers, 1)) if variant != 'serial' else '–',
                     fmt(rec['master_cpu_seconds']), pct(rec['master_cpu_seconds'] / wall), balance,
                     fmt(tail) if tail is not None else '–',
                     ' / '.join(fmt(rec['rank_cpu'][r]) for r in sorted(rec['rank_cpu'])) or '–',
                     POOL_PEER.get(variant, '–') if p_sp else '–', fmt(p_sp) + '×' if p_sp else '–',
                     m_name if m_sp else '–', fmt(m_sp) + '×' if m_sp else '–', pct(rec['others'])])
    print(table(['rankpool variant', 'workers', 'wall s', 'speed-up over serial', 'efficiency (per worker)',
                 'master CPU s', 'master CPU ÷ wall', 'worker busy s (rank 1 / rank 2 / …)', 'wall after the last task s',
                 'CPU s by rank (0 / 1 / 2 / …, whole process)',
                 f'Python Pool({nw})', 'Pool speed-up', f'mpi4py.futures (np {np_})', 'mpi4py speed-up', 'other processes\' CPU during the run'],
                rows, 'lrrrrrrlrrlrlrr'))
    print()
    if peers:
        print('Peer serial times (every '
              f'{args.peer_step}th n of {numbers}): Python Pool script {fmt(peers["python-pool"]["serial"]["wall_s"])} s, '
              f'mpi4py.futures script {fmt(peers["mpi4py"]["serial"]["wall_s"])} s; rankpool serial (every n) '
              f'{fmt(base)} s. Peer speed-ups are over their own serial loop.\n')
    print('### Targets\n')
    for label, rec in rows_rp:
        if label.startswith('serial') or label.endswith('--pool 1') or '--chunksize' in label:
            continue
        speed = base / rec['wall_seconds']
        if nw == 2:
            print(f'- `{label}`: {fmt(speed)}× (target ≥ 1.9×): **{"met" if speed >= 1.9 else "not met"}**')
        else:
            print(f'- `{label}`: {fmt(speed)}×, efficiency {pct(speed / nw)} (target ≥ 90 %): '
                  f'**{"met" if speed / nw >= 0.9 else "not met"}**')
    for label, rec in rows_rp:
        if '--chunksize' in label:
            print(f'- `{label}` (coarser hand-outs, ~6 ms each, as coarse as the peers\' tasks): '
                  f'{fmt(base / rec["wall_seconds"])}×')
    print(f'- Control: {nw} bare processes reach {fmt(base / ctl)}× on this machine at this load; '
          'a pool cannot beat that ceiling.')
    if nw == 2:
        print('- 16 cores (≥ 90 % efficiency): not measured here; on a 16-core machine run this script with '
              '`--np 17 --numbers 20000-60000`')
    print()
    print('### Commands\n')
    print(f'- serial: `{serial["command"]}`')
    print(f'- control: {nw} × `{rel(bin_)} factorial --numbers <every {nw}th n> --variant serial --json` at once')
    for label, rec in rows_rp:
        print(f'- {label}: `{rec["command"]}`')
    print('- each rankpool run also had `--trace-out TMP/trace.json` for the per-worker busy time')
    for c in peer_cmds:
        print(f'- peer: `{c}`')
    footer()


if __name__ == '__main__':
    main()
