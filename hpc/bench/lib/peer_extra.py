#!/usr/bin/python3
"""peer_extra.py - peer measurements that hpc/bench/peers/ does not make.

The task functions are the peers' own (seed_pool.get_factorial, identity),
so the peers run the same task code as in peers/. One JSON object per line on
stdout. Two modes:

  python-pool  /usr/bin/python3 peer_extra.py EXPERIMENT --peer python-pool ...
  mpi4py       mpirun -np K+1 /usr/bin/python3 -m mpi4py.futures peer_extra.py EXPERIMENT --peer mpi4py ...

Experiments:
  imap-dispatch  Pool.imap / imap_unordered of identity over a warm pool: us per task
  idle           map(time.sleep, [S]*T): the master's CPU seconds while it waits
  factorial      get_factorial over --numbers A-B:STEP with the pool variants; speed-up
  memory         imap_unordered / map of identity over N tasks: master peak RSS
"""
import argparse
import json
import os
import resource
import sys
import time

PEERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'peers')
if PEERS not in sys.path:
    sys.path.insert(0, PEERS)
sys.dont_write_bytecode = True

import seed_pool  # noqa: E402
from seed_pool import get_factorial, identity, mp_default_chunksize  # noqa: E402


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def emit(rec):
    print(json.dumps(rec), flush=True)


def parse_numbers(spec):
    """A-B or A-B:STEP -> list of n."""
    rng, _, step = spec.partition(':')
    a, _, b = rng.partition('-')
    return list(range(int(a), int(b or a) + 1, int(step or 1)))


# --------------------------------------------------------------------------
# executors

def pool_executor(workers):
    import multiprocessing as mul
    return mul.Pool(workers)


def mpi4py_executor():
    from mpi4py.futures import MPIPoolExecutor
    return MPIPoolExecutor()


def mpi4py_workers():
    from mpi4py import MPI
    return MPI.COMM_WORLD.Get_size() - 1


# --------------------------------------------------------------------------

def cmd_imap_dispatch(args):
    pool = pool_executor(args.pool)
    try:
        list(pool.imap(identity, range(args.pool * 4)))   # warm-up
        for variant in ('imap', 'imap_unordered'):
            for cs_name in args.chunksizes.split(','):
                cs = 1 if cs_name == '1' else mp_default_chunksize(args.tasks, args.pool)
                runs = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    out = list(getattr(pool, variant)(identity, range(args.tasks), chunksize=cs))
                    runs.append(time.perf_counter() - t0)
                ok = sorted(out) == list(range(args.tasks))
                emit({'peer': 'python-pool', 'experiment': 'dispatch', 'variant': variant, 'pool': args.pool,
                      'tasks': args.tasks, 'chunksize': cs, 'runs': runs,
                      'us_per_task': min(runs) / args.tasks * 1e6,
                      'median_us_per_task': sorted(runs)[len(runs) // 2] / args.tasks * 1e6, 'ok': ok})
    finally:
        pool.close()
        pool.join()


def cmd_idle(args):
    tasks = [args.seconds] * args.tasks
    if args.peer == 'python-pool':
        pool = pool_executor(args.pool)
        pool.map(identity, range(args.pool * 4))   # warm-up
        c0, t0 = cpu_self(), time.perf_counter()
        pool.map(time.sleep, tasks, chunksize=1)
        wall, master = time.perf_counter() - t0, cpu_self() - c0
        pool.close()
        pool.join()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        emit({'peer': 'python-pool', 'experiment': 'idle', 'pool': args.pool, 'tasks': args.tasks,
              'seconds': args.seconds, 'wall_s': wall, 'master_cpu_s': master,
              'workers_cpu_s_lifetime': children.ru_utime + children.ru_stime})
    else:
        ex = mpi4py_executor()
        ex.bootup(wait=True)
        list(ex.map(identity, range(mpi4py_workers() * 4)))   # warm-up
        c0, t0 = cpu_self(), time.perf_counter()
        list(ex.map(time.sleep, tasks))
        wall, master = time.perf_counter() - t0, cpu_self() - c0
        ex.shutdown(wait=True)
        emit({'peer': 'mpi4py.futures', 'experiment': 'idle', 'pool': mpi4py_workers(), 'tasks': args.tasks,
              'seconds': args.seconds, 'wall_s': wall, 'master_cpu_s': master})


def fact_variants(peer):
    if peer == 'python-pool':
        def pool_run(fn):
            def run(numbers, workers):
                pool = pool_executor(workers)   # inside the timed function, as in the seed
                try:
                    return fn(pool, numbers, workers)
                finally:
                    pool.close()
                    pool.join()
            return run

        def apply_async(pool, numbers, workers):
            rs = [pool.apply_async(get_factorial, (n,)) for n in numbers]
            return [r.get() for r in rs]
        return {
            'serial': lambda numbers, workers: [get_factorial(n) for n in numbers],
            'apply': pool_run(lambda pool, numbers, w: [pool.apply(get_factorial, (n,)) for n in numbers]),
            'apply_async': pool_run(apply_async),
            'map': pool_run(lambda pool, numbers, w: pool.map(get_factorial, numbers)),
            'map_async': pool_run(lambda pool, numbers, w: pool.map_async(get_factorial, numbers).get()),
            'imap': pool_run(lambda pool, numbers, w: list(pool.imap(get_factorial, numbers))),
            'imap_unordered': pool_run(lambda pool, numbers, w: list(pool.imap_unordered(get_factorial, numbers))),
        }

    def ex_run(fn):
        def run(numbers, workers):
            with mpi4py_executor() as ex:   # attaches to the shared pool: cheap
                return fn(ex, numbers, workers)
        return run

    def submit(ex, numbers, workers):
        fs = [ex.submit(get_factorial, n) for n in numbers]
        return [f.result() for f in fs]
    return {
        'serial': lambda numbers, workers: [get_factorial(n) for n in numbers],
        'submit_result': ex_run(lambda ex, numbers, w: [ex.submit(get_factorial, n).result() for n in numbers]),
        'submit': ex_run(submit),
        'map': ex_run(lambda ex, numbers, w: list(ex.map(get_factorial, numbers))),
        'map_chunked': ex_run(lambda ex, numbers, w: list(
            ex.map(get_factorial, numbers, chunksize=mp_default_chunksize(len(numbers), w)))),
    }


def cmd_factorial(args):
    numbers = parse_numbers(args.numbers)
    workers = args.pool if args.peer == 'python-pool' else mpi4py_workers()
    table = fact_variants(args.peer)
    names = list(table) if args.variant == 'all' else args.variant.split(',')
    for name in names:
        c0, t0 = cpu_self(), time.perf_counter()
        out = table[name](numbers, workers)
        wall, master = time.perf_counter() - t0, cpu_self() - c0
        ok = len(out) == len(numbers) and out[-1] == get_factorial(numbers[-1]) if name != 'imap_unordered' \
            else len(out) == len(numbers)
        emit({'peer': 'python-pool' if args.peer == 'python-pool' else 'mpi4py.futures', 'experiment': 'factorial',
              'variant': name, 'pool': None if name == 'serial' else workers, 'numbers': args.numbers,
              'tasks': len(numbers), 'wall_s': wall, 'master_cpu_s': master, 'ok': ok})


def cmd_memory(args):
    pool = pool_executor(args.pool)
    try:
        pool.map(identity, range(args.pool * 4))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        if args.variant == 'map':
            out = pool.map(identity, range(args.tasks), chunksize=mp_default_chunksize(args.tasks, args.pool))
            count = len(out)
            del out
        else:
            count = 0
            for _ in getattr(pool, args.variant)(identity, range(args.tasks), chunksize=args.chunksize):
                count += 1
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        pool.close()
        pool.join()
    emit({'peer': 'python-pool', 'experiment': 'memory', 'variant': args.variant, 'tasks': args.tasks,
          'chunksize': args.chunksize, 'wall_s': wall, 'rss_before_kb': before, 'peak_rss_kb': peak,
          'ok': count == args.tasks})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('imap-dispatch')
    p.add_argument('--tasks', type=int, default=10000)
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--chunksizes', default='1,default')
    p = sub.add_parser('idle')
    p.add_argument('--tasks', type=int, default=20)
    p.add_argument('--seconds', type=float, default=0.5)
    p = sub.add_parser('factorial')
    p.add_argument('--numbers', required=True, help='A-B or A-B:STEP')
    p.add_argument('--variant', default='all')
    p = sub.add_parser('memory')
    p.add_argument('--tasks', type=int, default=10000)
    p.add_argument('--variant', default='imap_unordered', choices=['imap_unordered', 'imap', 'map'])
    p.add_argument('--chunksize', type=int, default=1)
    for p in sub.choices.values():
        p.add_argument('--peer', choices=['python-pool', 'mpi4py'], default='python-pool')
        p.add_argument('--pool', type=int, default=2, help='python-pool workers (mpi4py: the -np - 1 ranks)')
    args = ap.parse_args(argv)
    {'imap-dispatch': cmd_imap_dispatch, 'idle': cmd_idle, 'factorial': cmd_factorial,
     'memory': cmd_memory}[args.cmd](args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
