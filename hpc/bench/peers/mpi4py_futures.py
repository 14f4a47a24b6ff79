#!/usr/bin/env python3
"""mpi4py_futures.py - the seed's experiments on mpi4py.futures.

A second peer for rankpool: the same three experiments as seed_pool.py
(factorial, reposts, dispatch), with mpi4py.futures.MPIPoolExecutor in place
of multiprocessing.Pool.  Variant correspondence:

  multiprocessing.Pool          mpi4py.futures.MPIPoolExecutor
  -------------------------     --------------------------------------------
  serial loop                   serial      (no executor)
  apply_async + close/join/get  submit      (submit all, shutdown, .result())
  apply (one at a time)         submit_result (submit(...).result() each)
  map / map_async               map         (executor.map, chunksize=1: its default)
  map, Pool's default chunks    map_chunked (chunksize as Pool.map would pick)

Two ways to get workers (the JSON field "mode" says which ran):

  shared  mpirun --oversubscribe -np K+1 /usr/bin/python3 -m mpi4py.futures \\
              hpc/bench/peers/mpi4py_futures.py ...
          rank 0 runs this script, ranks 1..K are a static shared worker pool;
          every MPIPoolExecutor() created here attaches to those K workers
          (--pool is ignored; "pool" reports K).  Recommended.
  spawn   /usr/bin/python3 hpc/bench/peers/mpi4py_futures.py ... --pool K
          MPIPoolExecutor(max_workers=K) spawns K processes with
          MPI_Comm_spawn.  With Open MPI 4.1 a singleton spawn of more
          processes than cores fails and then hangs unless oversubscription
          is allowed, so this script sets OMPI_MCA_rmaps_base_oversubscribe=1
          (if unset) before MPI starts.  Repeated spawns hang too (here after
          ~8-16 spawned processes in one job), so in spawn mode ONE executor
          is spawned at first use and reused by every variant and run; its
          spawn time is the dispatch "startup" line.

As in the seed, the executor is created inside the timed function for the
factorial and reposts experiments in shared mode (cheap there: the workers
already run).  In spawn mode it is the reused one (field "executor").  The
dispatch experiment times a warm executor.

The task functions (get_factorial, identity, the HTTP page fetch) are the
ones in seed_pool.py, imported from beside this file, so both peers run
identical task code.  Output: one JSON object per line on stdout,
"peer": "mpi4py.futures".  Run with /usr/bin/python3 (Debian's, which has
mpi4py 3.1.4); as root Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 and
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1.
"""
import os
import sys

# Spawn mode (no mpirun, or mpirun -np 1): let MPI_Comm_spawn oversubscribe
# the 2-core host instead of failing ("not enough slots") and hanging.
os.environ.setdefault('OMPI_MCA_rmaps_base_oversubscribe', '1')

# Workers import this file as module "__worker__"; they need seed_pool too.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
sys.dont_write_bytecode = True   # keep hpc/bench/peers/ free of __pycache__

import argparse
import functools
import time

from mpi4py import MPI
import mpi4py
from mpi4py.futures import MPIPoolExecutor

import peer_cli
import seed_pool
from peer_cli import emit, parse_variants, time_best_of
from seed_pool import (get_factorial, f_list_serial, identity,
                       factorial_checksum, page_count,
                       mp_default_chunksize,
                       PAGE_SIZE)
from math import factorial

PEER = 'mpi4py.futures'


def _shared_pool_active():
    """True when run as `python -m mpi4py.futures script.py` under mpirun."""
    try:
        from mpi4py.futures import _lib
        return getattr(_lib, 'SharedPool', None) is not None
    except ImportError:
        return False


MODE = None      # 'shared' or 'spawn', set in main()
WORKERS = None   # the worker count actually used


BACKOFF = None   # --backoff: mpi4py.futures' polling back-off cap, seconds


_SPAWNED = None          # spawn mode: the one executor, spawned once
SPAWN_STARTUP_S = None   # spawn mode: seconds the spawn + bootup took


class _ReusedExecutor:
    """Spawn mode: a view of the one spawned executor whose shutdown() and
    `with` exit do not tear it down.  Open MPI 4.1.4 (Debian, external PMIx)
    hangs in MPI_Comm_spawn after ~8-16 processes spawned in one job, so a
    fresh spawn per timed run is not possible here."""

    def __init__(self, ex):
        self._ex = ex

    def submit(self, fn, *args, **kwargs):
        return self._ex.submit(fn, *args, **kwargs)

    def map(self, fn, *iterables, **kwargs):
        return self._ex.map(fn, *iterables, **kwargs)

    def bootup(self, wait=True):
        return self

    def shutdown(self, wait=True, **kwargs):
        pass   # futures already submitted still complete; result() waits

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def new_executor(workers):
    global _SPAWNED, SPAWN_STARTUP_S
    kw = {} if BACKOFF is None else {'backoff': BACKOFF}
    if MODE == 'shared':
        return MPIPoolExecutor(**kw)      # attaches to the static shared pool
    if _SPAWNED is None:
        t0 = time.perf_counter()
        _SPAWNED = MPIPoolExecutor(max_workers=workers, **kw)
        _SPAWNED.bootup(wait=True)
        SPAWN_STARTUP_S = time.perf_counter() - t0
    return _ReusedExecutor(_SPAWNED)


def close_spawned():
    global _SPAWNED
    if _SPAWNED is not None:
        _SPAWNED.shutdown(wait=True)
        _SPAWNED = None


# ---------------------------------------------------------------------------
# Experiment 1: factorials 1..num
# ---------------------------------------------------------------------------

def f_list_futures_submit(num, pid=0, pool=None):
    """≈ f_list_para_apply_async: submit all, shut down (≈close+join), get."""
    executor = new_executor(pool)
    futures = [executor.submit(get_factorial, n, pid) for n in range(1, num + 1)]
    executor.shutdown(wait=True)
    return [f.result() for f in futures]


def f_list_futures_submit_result(num, pid=0, pool=None):
    """≈ f_list_para_apply: one task at a time, wait for each result."""
    with new_executor(pool) as executor:
        return [executor.submit(get_factorial, n, pid).result()
                for n in range(1, num + 1)]


def f_list_futures_map(num, pool=None, chunksize=1):
    """≈ f_list_para_map / f_list_para_map_async (executor.map is lazy)."""
    with new_executor(pool) as executor:
        return list(executor.map(get_factorial, range(1, num + 1),
                                 chunksize=chunksize))


FACTORIAL_VARIANTS = {
    'serial': lambda num, pool: f_list_serial(num),
    'submit': lambda num, pool: f_list_futures_submit(num, pool=pool),
    'submit_result': lambda num, pool: f_list_futures_submit_result(num, pool=pool),
    'map': lambda num, pool: f_list_futures_map(num, pool=pool),
    'map_chunked': lambda num, pool: f_list_futures_map(
        num, pool=pool, chunksize=mp_default_chunksize(num, WORKERS)),
    'single': lambda num, pool: [get_factorial(num)],
}

POOL_EQUIV = {'serial': 'serial', 'submit': 'apply_async',
              'submit_result': 'apply', 'map': 'map', 'map_chunked': 'map',
              'single': 'single', 'startup': 'startup',
              'map_c1': 'map_c1', 'map_mpchunk': 'map_default'}


# ---------------------------------------------------------------------------
# Experiment 2: the repost crawl
# ---------------------------------------------------------------------------

def get_repost_timeline(id, count=PAGE_SIZE, page=1, pid=0, api_base=None, **keys):
    """seed_pool.get_repost_timeline with the API base passed explicitly
    (workers in shared mode never see rank 0's command line).  The token
    travels as keys['access_token'] inside the task, never printed."""
    if api_base:
        seed_pool.API_BASE = api_base
    return seed_pool.get_repost_timeline(id, count, page, pid, **keys)


def _fetch_kwds(args):
    kw = {'api_base': seed_pool.API_BASE}
    if seed_pool.token:
        kw['access_token'] = seed_pool.token
    return kw


def get_post_reposts_futures_submit(mid, pool=None, pid=0, kw=None):
    reposts = []
    executor = new_executor(pool)
    total_number = get_repost_timeline(mid, **kw)['total_number']
    page_number = page_count(total_number)
    futures = [executor.submit(get_repost_timeline, mid, page=i, pid=pid, **kw)
               for i in range(1, page_number + 1)]
    executor.shutdown(wait=True)
    for f in futures:
        reposts += f.result()['reposts']
    return reposts


def get_post_reposts_futures_submit_result(mid, pool=None, pid=0, kw=None):
    reposts = []
    with new_executor(pool) as executor:
        total_number = get_repost_timeline(mid, **kw)['total_number']
        page_number = page_count(total_number)
        for i in range(1, page_number + 1):
            reposts += executor.submit(get_repost_timeline, mid, page=i,
                                       pid=pid, **kw).result()['reposts']
    return reposts


def get_post_reposts_futures_map(mid, pool=None, pid=0, kw=None):
    reposts = []
    with new_executor(pool) as executor:
        total_number = get_repost_timeline(mid, **kw)['total_number']
        page_number = page_count(total_number)
        fetch = functools.partial(get_repost_timeline, mid, PAGE_SIZE, **kw)
        for p in executor.map(fetch, range(1, page_number + 1)):
            reposts += p['reposts']
    return reposts


def get_post_reposts_serial(mid, pool=None, pid=0, kw=None):
    reposts = []
    total_number = get_repost_timeline(mid, **kw)['total_number']
    for i in range(1, page_count(total_number) + 1):
        reposts += get_repost_timeline(mid, page=i, pid=pid, **kw)['reposts']
    return reposts


REPOSTS_VARIANTS = {
    'serial': get_post_reposts_serial,
    'submit': get_post_reposts_futures_submit,
    'submit_result': get_post_reposts_futures_submit_result,
    'map': get_post_reposts_futures_map,
    'single': lambda mid, pool=None, pid=0, kw=None:
        get_repost_timeline(mid, pid=pid, **kw)['reposts'],
}


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------

def base_record(experiment, variant, pool, runs, number):
    return peer_cli.record(
        PEER, experiment, variant, pool, runs, number,
        pool_equiv=POOL_EQUIV.get(variant, variant),
        mode=MODE,
        mpi4py=mpi4py.__version__,
        mpi=MPI.Get_library_version().split(',')[0].strip('\x00 \n'),
        cpus=os.cpu_count(),
        backoff_s=BACKOFF,   # None = mpi4py's default (0.001)
        # shared: a new MPIPoolExecutor per timed run (as the post's Pool);
        # spawn: one executor spawned once and reused (spawn hangs, see top)
        executor='new per run' if MODE == 'shared' else 'spawned once, reused',
        spawn_startup_s=SPAWN_STARTUP_S)


def cmd_factorial(args):
    expected = factorial_checksum(f_list_serial(args.upto))
    for variant in parse_variants(args.variant, FACTORIAL_VARIANTS):
        fn = FACTORIAL_VARIANTS[variant]
        no_pool = variant in ('serial', 'single')
        number = args.number
        if number is None:
            number = 0 if no_pool else 1
        runs, number, results = time_best_of(
            lambda: fn(args.upto, WORKERS), args.repeat, number)
        rec = base_record('factorial', variant, None if no_pool else WORKERS,
                          runs, number)
        rec['upto'] = args.upto
        if variant == 'map_chunked':
            rec['chunksize'] = mp_default_chunksize(args.upto, WORKERS)
        check = factorial_checksum(results)
        rec.update(check)
        rec['ok'] = (results == [factorial(args.upto)] if variant == 'single'
                     else check == expected)
        if args.pid and not no_pool:   # which ranks' pids ran tasks (stderr)
            with new_executor(WORKERS) as ex:
                pids = list(ex.map(_pid_task, range(2 * WORKERS)))
            print('# %s: pids %s' % (variant, pids), file=sys.stderr)
        emit(args, rec)
        if not rec['ok']:
            return 1
    return 0


def _pid_task(_):
    return os.getpid()


def cmd_reposts(args):
    kw = _fetch_kwds(args)

    def crawl(variant):
        return REPOSTS_VARIANTS[variant](args.mid, WORKERS, 1 if args.pid else 0, kw)

    def make_record(variant, runs, number):
        return base_record('reposts', variant, None if variant in ('serial', 'single') else WORKERS, runs, number)
    return peer_cli.run_reposts(args, REPOSTS_VARIANTS, crawl, make_record,
                                lambda: get_repost_timeline(args.mid, **kw)['total_number'],
                                page_count, PAGE_SIZE, seed_pool.API_BASE)


DISPATCH_VARIANTS = ('startup', 'submit', 'map_c1', 'map_mpchunk', 'submit_result')


def dispatch_variant(ex, variant, n):
    xs = range(n)
    if variant == 'submit':
        fs = [ex.submit(identity, i) for i in xs]
        return [f.result() for f in fs], None
    if variant == 'map_c1':
        return list(ex.map(identity, xs)), 1          # executor.map's default
    if variant == 'map_mpchunk':
        cs = mp_default_chunksize(n, WORKERS)
        return list(ex.map(identity, xs, chunksize=cs)), cs
    if variant == 'submit_result':
        return [ex.submit(identity, i).result() for i in xs], None
    raise ValueError(variant)


def cmd_dispatch(args):
    variants = parse_variants(args.variant, dict.fromkeys(DISPATCH_VARIANTS))
    if 'startup' in variants:
        def startup():
            with new_executor(WORKERS) as ex:
                return list(ex.map(identity, range(WORKERS)))
        if MODE == 'shared':
            runs, number, out = time_best_of(startup, args.repeat, 1)
        else:   # spawn once only: the spawn + bootup time of that one spawn
            out = startup()
            runs, number = [SPAWN_STARTUP_S], 1
        rec = base_record('dispatch', 'startup', WORKERS, runs, number)
        rec.update({'tasks': WORKERS, 'chunksize': 1, 'us_per_task': None,
                    'ok': out == list(range(WORKERS))})
        emit(args, rec)
    with new_executor(WORKERS) as ex:
        ex.bootup(wait=True)
        list(ex.map(identity, range(WORKERS * 4)))      # warm-up
        status = peer_cli.run_dispatch(
            args, variants, 'submit_result', lambda variant, n: dispatch_variant(ex, variant, n),
            lambda variant, runs, number: base_record('dispatch', variant, WORKERS, runs, number))
    return status


def build_parser():
    ap = argparse.ArgumentParser(
        description='The 2014 post\'s experiments on mpi4py.futures; JSON lines '
                    'on stdout.  Under mpirun use: mpirun --oversubscribe '
                    '-np K+1 python3 -m mpi4py.futures THIS ...')
    sub = ap.add_subparsers(dest='experiment', required=True)

    def common(p, variants, dispatch):
        pool_default = 2 if dispatch else 4
        peer_cli.add_common_options(p, variants, None, 'workers to spawn in spawn mode (default %d); '
                                    'ignored in shared mode (np-1 workers)' % pool_default)
        p.set_defaults(pool_default=pool_default)
        p.add_argument('--backoff', type=float, default=None,
                       help='MPIPoolExecutor(backoff=S): cap of the polling '
                            'sleep in the master and (shared mode: set by '
                            'the first executor) the workers; default 0.001')
    peer_cli.add_experiment_options(sub, common, FACTORIAL_VARIANTS, REPOSTS_VARIANTS, DISPATCH_VARIANTS,
                                    seed_pool.MAX_PAGES, seed_pool.HTTP_TIMEOUT_S, 'submit_result')
    return ap


def main(argv=None):
    global MODE, WORKERS, BACKOFF
    args = build_parser().parse_args(argv)
    BACKOFF = args.backoff
    if args.repeat < 1:
        sys.exit('--repeat must be >= 1')
    world = MPI.COMM_WORLD.Get_size()
    if _shared_pool_active():
        MODE = 'shared'
        WORKERS = world - 1
        if WORKERS < 1:
            sys.exit('shared mode needs mpirun -np 2 or more')
        if args.pool not in (None, WORKERS):
            print('note: shared mode: --pool %s ignored, using the %d worker '
                  'ranks (mpirun -np %d)' % (args.pool, WORKERS, world),
                  file=sys.stderr)
    elif world > 1:
        sys.exit('run under mpirun as: mpirun -np K+1 python3 -m mpi4py.futures '
                 '%s ... (or without mpirun for spawn mode)' % sys.argv[0])
    else:
        MODE = 'spawn'
        WORKERS = args.pool or args.pool_default
    try:
        if MODE == 'spawn':   # spawn before any timing, once (see top)
            new_executor(WORKERS)
        return run_experiment(args)
    finally:
        close_spawned()


def run_experiment(args):
    return seed_pool.run_experiment(args, cmd_factorial, cmd_dispatch, cmd_reposts)


if __name__ == '__main__':
    sys.exit(main())
