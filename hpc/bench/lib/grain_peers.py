#!/usr/bin/python3
"""grain_peers.py - the peers' side of grain.sh: factorials of a fixed grain
through a warm pool, start-up excluded. One JSON object per line on stdout.

  serial   /usr/bin/python3 grain_peers.py serial --grain G:COUNT:LO-HI ...
           get_factorial over the list in this process, no pool.
  pool     /usr/bin/python3 grain_peers.py pool --workers K --grain ...
           multiprocessing.Pool(K): map and imap_unordered at their default
           chunksize (map: Pool's ceil(n / (4K)); imap_unordered: 1).
  mpi4py   mpirun -np K+1 /usr/bin/python3 -m mpi4py.futures grain_peers.py mpi4py --grain ...
           MPIPoolExecutor.map at chunksize 1 and 16.

Each --grain is LABEL:COUNT:LO-HI: COUNT tasks, n running LO, LO+1, ..., HI,
LO, ... (the band repeated until COUNT; a COUNT below the band's width takes
evenly spaced n of it), the list grain.sh gives rankpool in
the same shape. The task is the peers' own get_factorial (seed_pool.py, i.e.
math.factorial). Every timed call is repeated --repeat times; each record
has the seconds of every repetition (`runs`) and the best (`wall_s`).
"""
import argparse
import json
import os
import sys
import time

PEERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'peers')
if PEERS not in sys.path:
    sys.path.insert(0, PEERS)
sys.dont_write_bytecode = True

from seed_pool import get_factorial, identity  # noqa: E402


def numbers_of(spec):
    """LABEL:COUNT:LO-HI -> (label, list of n)."""
    label, count, band = spec.split(':')
    lo, hi = (int(x) for x in band.split('-'))
    width = hi - lo + 1
    per = min(width, int(count))   # the whole band repeated, or evenly spaced n of it (as grain.py)
    return label, [lo + (i % per) * width // per for i in range(int(count))]


def emit(rec):
    print(json.dumps(rec), flush=True)


def timed(fn, repeat):
    runs = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return runs, out


def check(out, numbers, ordered):
    if len(out) != len(numbers):
        return False
    if ordered:
        return out[-1] == get_factorial(numbers[-1]) and out[0] == get_factorial(numbers[0])
    return True


def record(peer, variant, label, numbers, runs, ok, **extra):
    rec = {'peer': peer, 'variant': variant, 'grain': label, 'tasks': len(numbers),
           'band': f'{min(numbers)}-{max(numbers)}', 'runs': runs, 'wall_s': min(runs), 'ok': ok}
    rec.update(extra)
    return rec


def cmd_serial(args):
    for spec in args.grain:
        label, numbers = numbers_of(spec)
        runs, out = timed(lambda: [get_factorial(n) for n in numbers], args.repeat)
        emit(record('python', 'serial', label, numbers, runs, check(out, numbers, True),
                    ms_per_task=min(runs) / len(numbers) * 1e3))


def cmd_pool(args):
    import multiprocessing as mul
    pool = mul.Pool(args.workers)
    try:
        pool.map(identity, range(args.workers * 4), chunksize=1)   # warm: every worker started
        for spec in args.grain:
            label, numbers = numbers_of(spec)
            runs, out = timed(lambda: pool.map(get_factorial, numbers), args.repeat)
            emit(record('python-pool', 'map', label, numbers, runs, check(out, numbers, True),
                        workers=args.workers, chunksize='default'))
            runs, out = timed(lambda: list(pool.imap_unordered(get_factorial, numbers)), args.repeat)
            emit(record('python-pool', 'imap_unordered', label, numbers, runs, check(out, numbers, False),
                        workers=args.workers, chunksize=1))
    finally:
        pool.close()
        pool.join()


def cmd_mpi4py(args):
    from mpi4py import MPI
    from mpi4py.futures import MPIPoolExecutor
    workers = MPI.COMM_WORLD.Get_size() - 1
    with MPIPoolExecutor() as ex:
        ex.bootup(wait=True)
        list(ex.map(identity, range(workers * 4)))   # warm
        for spec in args.grain:
            label, numbers = numbers_of(spec)
            for cs in args.chunksizes:
                runs, out = timed(lambda: list(ex.map(get_factorial, numbers, chunksize=cs)), args.repeat)
                emit(record('mpi4py.futures', f'map chunksize {cs}', label, numbers, runs,
                            check(out, numbers, True), workers=workers, chunksize=cs))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('mode', choices=['serial', 'pool', 'mpi4py'])
    ap.add_argument('--grain', action='append', required=True, help='LABEL:COUNT:LO-HI (repeatable)')
    ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--workers', type=int, default=2, help='Pool(K) (mpi4py: the -np - 1 ranks)')
    ap.add_argument('--chunksizes', type=lambda s: [int(x) for x in s.split(',')], default=[1, 16])
    args = ap.parse_args(argv)
    {'serial': cmd_serial, 'pool': cmd_pool, 'mpi4py': cmd_mpi4py}[args.mode](args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
