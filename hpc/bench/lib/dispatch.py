"""dispatch.sh: per-task overhead of trivial tasks, rankpool vs mpi4py.futures vs Python's Pool.

2 workers on 3 ranks (mpirun -np 3) for rankpool and mpi4py.futures, Pool(2)
for Python; the same task counts. rankpool's figure is its `us_per_task`
(wall_seconds of the run, MPI start-up excluded, divided by the tasks); the
peers time a warm pool the same way. Then the idle check: tasks that sleep
0.5 s, and how much CPU the master and an idle worker burn meanwhile.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (LIB, PEERS, PY, best, common_args, fmt, footer, json_lines, log, median,  # noqa: E402
                      mpirun, pct, per_rank_usage, rankpool_bin, ratio, run, run_json, show, start, table)

VARIANTS = ['apply', 'apply_async', 'map', 'map_async', 'imap', 'imap_unordered']
CHUNKED = {'map', 'map_async', 'imap', 'imap_unordered'}

# rankpool row -> (mpi4py.futures variant, Python Pool variant, source of the Pool figure)
PEER_OF = {
    ('apply', '1'): ('submit_result', 'apply'),
    ('apply_async', '1'): ('submit', 'apply_async'),
    ('map', '1'): ('map_c1', 'map_c1'),
    ('map', 'default'): ('map_mpchunk', 'map_default'),
    ('map_async', '1'): ('map_c1', 'map_c1'),
    ('map_async', 'default'): ('map_mpchunk', 'map_default'),
    ('imap', '1'): ('map_c1', 'imap/1'),
    ('imap', 'default'): ('map_mpchunk', 'imap/default'),
    ('imap_unordered', '1'): ('submit', 'imap_unordered/1'),
    ('imap_unordered', 'default'): ('map_mpchunk', 'imap_unordered/default'),
}


def default_chunksize(tasks, workers=2):
    spread = 4 * workers
    return (tasks + spread - 1) // spread


def rankpool_rows(bin_, tasks, repeat):
    rows, cmds = {}, {}
    for variant in VARIANTS:
        for cs in (['1', 'default'] if variant in CHUNKED else ['1']):
            cmd = mpirun(3, bin_, 'sleep', '--tasks', str(tasks), '--seconds', '0', '--variant', variant, '--json')
            if cs == '1':
                cmd += ['--chunksize', '1']
            elif variant.startswith('imap'):   # imap's own default is 1: use map's, as Python's map would
                cmd += ['--chunksize', str(default_chunksize(tasks))]
            us, cpu = [], []
            for _ in range(repeat):
                rec = run_json(cmd)
                assert rec['completed'] == tasks, rec
                us.append(rec['us_per_task'])
                cpu.append(rec['master_cpu_seconds'])
            rows[(variant, cs)] = {'best': best(us), 'median': median(us), 'master_cpu': median(cpu)}
            cmds[(variant, cs)] = show(cmd)
            log(f'  rankpool {variant:15s} c{cs:8s} {best(us):8.3f} us/task (median {median(us):.3f})')
    return rows, cmds


def peer_rows(tasks, repeat, sync_tasks):
    out = {}
    cmds = []
    cmd = [PY, os.path.join(PEERS, 'seed_pool.py'), 'dispatch', '--tasks', str(tasks), '--repeat', str(repeat),
           '--sync-tasks', str(sync_tasks), '--json', '--variant', 'apply_async,map_c1,map_default,apply']
    stdout, _, _ = run(cmd)
    cmds.append(show(cmd))
    for rec in json_lines(stdout):
        out[('pool', rec['variant'])] = rec
    cmd = [PY, os.path.join(LIB, 'peer_extra.py'), 'imap-dispatch', '--tasks', str(tasks), '--repeat', str(repeat)]
    stdout, _, _ = run(cmd)
    cmds.append(show(cmd))
    for rec in json_lines(stdout):
        cs = '1' if rec['chunksize'] == 1 else 'default'
        out[('pool', f'{rec["variant"]}/{cs}')] = rec
    cmd = mpirun(3, PY, '-m', 'mpi4py.futures', os.path.join(PEERS, 'mpi4py_futures.py'), 'dispatch', '--tasks',
                 str(tasks), '--repeat', str(repeat), '--sync-tasks', str(sync_tasks), '--json',
                 '--variant', 'submit,map_c1,map_mpchunk,submit_result')
    stdout, _, _ = run(cmd, timeout=1800)
    cmds.append(show(cmd))
    for rec in json_lines(stdout):
        out[('mpi4py', rec['variant'])] = rec
    for key, rec in out.items():
        log(f'  {key[0]:7s} {key[1]:24s} {rec["us_per_task"]:9.3f} us/task ({rec["tasks"]} tasks)')
    return out, cmds


def dispatch_table(tasks, rp, peers):
    rows = []
    for (variant, cs), r in rp.items():
        m_name, p_name = PEER_OF[(variant, cs)]
        m = peers.get(('mpi4py', m_name))
        p = peers.get(('pool', p_name))
        csz = '1' if cs == '1' else f'default ({default_chunksize(tasks)})'
        m_us = m['us_per_task'] if m else None
        p_us = p['us_per_task'] if p else None
        m_label = f'{m_name}' + (f' ({m["tasks"]} tasks)' if m and m['tasks'] != tasks else '') if m else '–'
        p_label = f'{p_name.split("/")[0]}' + (f' ({p["tasks"]} tasks)' if p and p['tasks'] != tasks else '') \
            if p else '–'
        rows.append([f'`{variant}`', csz, fmt(r['best']), fmt(r['median']), fmt(r['master_cpu']),
                     m_label, fmt(m_us), ratio(m_us, r['best']), p_label, fmt(p_us), ratio(p_us, r['best'])])
    return table(['rankpool variant', 'chunksize', 'µs/task (best)', 'µs/task (median)', 'master CPU s',
                  'mpi4py.futures', 'µs/task', 'mpi4py ÷ rankpool', 'Python Pool', 'µs/task', 'Pool ÷ rankpool'],
                 rows, 'llrrrlrrlrr')


def idle_section(bin_, tasks, seconds):
    """CPU that the master (and an idle worker) burn while the workers sleep."""
    rows = []
    cmds = []
    base_cmd = [bin_, 'sleep', '--tasks', '2', '--seconds', '0', '--variant', 'apply_async', '--json']
    bases = [per_rank_usage(3, base_cmd)[1] for _ in range(3)]
    base = {rank: {'cpu': median([b[rank]['cpu'] for b in bases])} for rank in range(3)}
    cmds.append('baseline (start-up and shut-down only; median of 3): ' + show(mpirun(3, *base_cmd)))
    for label, extra, n in (('apply_async, 2 workers busy', ['--variant', 'apply_async'], tasks),
                            ('map, 2 workers busy', ['--variant', 'map', '--chunksize', '1'], tasks),
                            ('apply_async --pool 1: rank 2 idle', ['--variant', 'apply_async', '--pool', '1'],
                             tasks // 2)):
        cmd = [bin_, 'sleep', '--tasks', str(n), '--seconds', str(seconds), '--json', *extra]
        out, usage = per_rank_usage(3, cmd)
        rec = json_lines(out)[-1]
        wall = rec['wall_seconds']
        cmds.append(f'{label}: ' + show(mpirun(3, *cmd)) + '  (each rank under `/usr/bin/time`)')
        for rank in range(3):
            net = usage[rank]['cpu'] - base[rank]['cpu']
            role = 'master' if rank == 0 else ('worker (idle)' if '--pool' in extra and rank == 2
                                               else 'worker (in sleep tasks)')
            rows.append([f'rankpool {label}', f'{rank}: {role}', fmt(wall), fmt(usage[rank]['cpu']),
                         fmt(max(net, 0.0)), pct(max(net, 0.0) / wall)])
        log(f'  idle rankpool {label}: master net {usage[0]["cpu"] - base[0]["cpu"]:.3f} s over {wall:.2f} s')
    # peers: the master's CPU measured inside the process around the map
    cmd = [PY, os.path.join(LIB, 'peer_extra.py'), 'idle', '--tasks', str(tasks), '--seconds', str(seconds)]
    rec = json_lines(run(cmd)[0])[-1]
    cmds.append('Python Pool: ' + show(cmd))
    rows.append(['Python `Pool(2).map(time.sleep, …)`', '0: master', fmt(rec['wall_s']), '–',
                 fmt(rec['master_cpu_s']), pct(rec['master_cpu_s'] / rec['wall_s'])])
    cmd = mpirun(3, PY, '-m', 'mpi4py.futures', os.path.join(LIB, 'peer_extra.py'), 'idle', '--peer', 'mpi4py',
                 '--tasks', str(tasks), '--seconds', str(seconds))
    rec = json_lines(run(cmd)[0])[-1]
    cmds.append('mpi4py.futures: ' + show(cmd))
    rows.append(['mpi4py.futures `executor.map(time.sleep, …)`', '0: master', fmt(rec['wall_s']), '–',
                 fmt(rec['master_cpu_s']), pct(rec['master_cpu_s'] / rec['wall_s'])])
    return table(['run', 'rank', 'run wall s', 'CPU s (whole process)', 'CPU s net of start-up', 'CPU ÷ wall'],
                 rows, 'llrrrr'), cmds


def main():
    ap = common_args(__doc__)
    ap.add_argument('--tasks', default=None, help='comma list of task counts (default 10000,100000; quick 10000)')
    ap.add_argument('--sync-tasks', type=int, default=2000,
                    help="task cap of the peers' one-at-a-time variants (Pool.apply, submit().result())")
    ap.add_argument('--peer-repeat', type=int, default=None)
    ap.add_argument('--no-idle', action='store_true')
    args = ap.parse_args()
    quick = args.quick
    counts = [int(t) for t in (args.tasks or ('10000' if quick else '10000,100000')).split(',')]
    repeat = args.repeat or (2 if quick else 5)
    start(args, 'Dispatch overhead: trivial tasks, 2 workers on 3 ranks')
    bin_ = rankpool_bin()
    all_cmds = []
    targets = []
    for tasks in counts:
        log(f'dispatch: {tasks} tasks')
        peer_repeat = args.peer_repeat or (1 if quick or tasks > 20000 else 3)
        rp, rp_cmds = rankpool_rows(bin_, tasks, repeat)
        peers, p_cmds = peer_rows(tasks, peer_repeat, min(args.sync_tasks, tasks))
        print(f'### {tasks:,} tasks (rankpool best of {repeat}; peers best of {peer_repeat})\n')
        print(dispatch_table(tasks, rp, peers))
        print()
        c1 = {k: v for k, v in rp.items() if k[1] == '1'}
        worst = max(c1.items(), key=lambda kv: kv[1]['best'])
        m_c1 = min(peers[('mpi4py', PEER_OF[k][0])]['us_per_task'] / v['best'] for k, v in c1.items())
        targets.append((tasks, worst, m_c1))
        all_cmds += [f'{tasks} tasks, rankpool {v} c{c}: `{cmd}`' for (v, c), cmd in rp_cmds.items()]
        all_cmds += [f'{tasks} tasks, peer: `{c}`' for c in p_cmds]
    print('### Targets\n')
    for tasks, ((variant, _), worst), m_c1 in targets:
        ok = worst['best'] <= 5
        print(f'- {tasks:,} tasks, chunksize 1: slowest variant `{variant}` {fmt(worst["best"])} µs/task '
              f'(target ≤ 5 µs): **{"met" if ok else "not met"}**; smallest mpi4py.futures ÷ rankpool ratio '
              f'over the chunksize-1 rows {fmt(m_c1)}× (target ≥ 40×): **{"met" if m_c1 >= 40 else "not met"}**')
    print()
    if not args.no_idle:
        n = 4 if quick else 20
        log('dispatch: idle check')
        text, cmds = idle_section(bin_, n, 0.5)
        print(f'### Idle ranks: {n} tasks of `--seconds 0.5`\n')
        print(text)
        print('\n"net of start-up" subtracts the same rank\'s CPU in a 2-task, 0-second run (MPI start-up, '
              'job set-up, shut-down). The peers\' master CPU is measured inside the process around the map.\n')
        all_cmds += cmds
    print('### Commands\n')
    for c in all_cmds:
        print(f'- {c}')
    footer()


if __name__ == '__main__':
    main()
