"""peer_cli.py - the command layer both peers share (seed_pool.py and mpi4py_futures.py).

Timing (timeit-like best of N), variant lists, the JSON record of a run and its
timeit-style echo on stderr, the loops of the reposts and dispatch experiments,
and the options every experiment takes. Each peer supplies what differs: how a
variant runs, and the fields only it records. Standard library only.
"""
import gc
import json
import statistics
import sys
import time
import timeit


def time_best_of(fn, repeat, number):
    """timeit.repeat-like: `repeat` runs of `number` calls, gc off; returns
    (per-call seconds of each run, number, last result).  number=0 picks the
    loop count like timeit's autorange (total >= 0.2 s)."""
    if number <= 0:
        number, _ = timeit.Timer(fn).autorange()
    runs, result = [], None
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(number):
                result = fn()
            runs.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was_on:
            gc.enable()
    return runs, number, result


def fmt_time(s):
    for unit, scale in (('s', 1.0), ('ms', 1e-3), ('us', 1e-6)):
        if s >= scale:
            return '%.3g %s' % (s / scale, unit)
    return '%.3g ns' % (s / 1e-9)


def parse_variants(spec, table):
    names = list(table) if spec == 'all' else [v.strip() for v in spec.split(',')]
    for v in names:
        if v not in table:
            sys.exit('unknown variant %r; choose from %s or all'
                     % (v, ','.join(table)))
    return names


def record(peer, experiment, variant, pool, runs, number, **extra):
    """The fields every peer records for one timed variant, then EXTRA."""
    rec = {
        'peer': peer,
        'experiment': experiment,
        'variant': variant,
        'pool': pool,
        'best_s': min(runs),
        'median_s': statistics.median(runs),
        'runs': runs,
        'number': number,
    }
    rec.update(extra)
    return rec


def emit(args, rec):
    """One JSON line on stdout; unless --json, a timeit-style line on stderr."""
    print(json.dumps(rec), flush=True)
    if not args.json:
        extra = ''
        if rec.get('us_per_task') is not None:
            extra = '  (%.2f us/task)' % rec['us_per_task']
        tag = rec['peer'] + ('[%s]' % rec['mode'] if rec.get('mode') else '')
        print('# %s %s %-13s pool=%-4s %d loops, best of %d: %s per loop%s'
              % (tag, rec['experiment'], rec['variant'], rec['pool'], rec['number'],
                 len(rec['runs']), fmt_time(rec['best_s']), extra),
              file=sys.stderr, flush=True)


def run_reposts(args, variants, crawl, make_record, total_of, page_count, page_size, api_base):
    """The reposts experiment: each variant's crawl timed, its reposts checked
    (each id once, every reachable one). crawl(variant) -> reposts;
    make_record(variant, runs, number) -> the peer's record; total_of() ->
    the post's total_number (untimed)."""
    status = 0
    for variant in parse_variants(args.variant, variants):
        runs, number, reposts = time_best_of(lambda: crawl(variant), args.repeat, args.number or 1)
        total = int(total_of())
        pages = 1 if variant == 'single' else page_count(total)
        expected = min(total, pages * page_size)
        unique = len({r.get('id') for r in reposts})
        rec = make_record(variant, runs, number)
        rec.update({
            'mid': str(args.mid),
            'api_base': api_base,
            'token': args.token_source,          # where it came from, never its value
            'total_number': total,
            'pages': pages,
            'requests': pages + (0 if variant == 'single' else 1),
            'reposts': len(reposts),
            'unique_ids': unique,
            'expected': expected,
            'ok': unique == len(reposts) == expected,
        })
        emit(args, rec)
        if not rec['ok']:
            status = 1
    return status


def run_dispatch(args, variants, one_at_a_time, dispatch, make_record):
    """The dispatch experiment's timed variants on a warm pool: n identity tasks
    each (the one-at-a-time variant at most --sync-tasks). dispatch(variant, n)
    -> (results, chunksize); make_record(variant, runs, number) -> the record."""
    status = 0
    for variant in variants:
        if variant == 'startup':
            continue
        n = args.tasks
        if variant == one_at_a_time and args.sync_tasks:
            n = min(n, args.sync_tasks)
        box = {}

        def run():
            box['out'], box['chunksize'] = dispatch(variant, n)
            return box['out']
        runs, number, out = time_best_of(run, args.repeat, 1)
        rec = make_record(variant, runs, number)
        rec.update({'tasks': n, 'chunksize': box['chunksize'],
                    'us_per_task': min(runs) / n * 1e6,
                    'median_us_per_task': statistics.median(runs) / n * 1e6,
                    'ok': out == list(range(n))})
        emit(args, rec)
        if not rec['ok']:
            status = 1
    return status


def add_common_options(p, variants, pool_default, pool_help):
    p.add_argument('--variant', default='all',
                   help='one of %s, a comma list, or all' % ','.join(variants))
    p.add_argument('--pool', type=int, default=pool_default, help=pool_help)
    p.add_argument('--repeat', type=int, default=3, help='best of REPEAT runs')
    p.add_argument('--number', type=int, default=None,
                   help='calls per run (default 1 for pool variants; '
                        'timeit autorange for serial/single)')
    p.add_argument('--json', action='store_true',
                   help='JSON lines only (no timeit-style lines on stderr)')


def add_experiment_options(sub, common, factorial_variants, reposts_variants, dispatch_variants,
                           max_pages, timeout_s, one_at_a_time):
    """The three experiments' subcommands; common(p, variants, dispatch) adds the peer's own options."""
    p = sub.add_parser('factorial', help='experiment 1: factorials 1..UPTO')
    common(p, factorial_variants, False)
    p.add_argument('--upto', type=int, default=100)
    p.add_argument('--pid', action='store_true',
                   help='show which pids ran the tasks (stderr, untimed)')

    p = sub.add_parser('reposts', help='experiment 2: the repost crawl')
    common(p, reposts_variants, False)
    p.add_argument('--mid', default='3664072912104801')
    p.add_argument('--api-base', default=None,
                   help='e.g. http://127.0.0.1:PORT (default: env '
                        'WEIBO_API_BASE, else https://api.weibo.com)')
    p.add_argument('--token-file', default=None,
                   help='file holding the access token (default: env '
                        'WEIBO_ACCESS_TOKEN; none = send no token)')
    p.add_argument('--max-pages', type=int, default=max_pages)
    p.add_argument('--timeout', type=float, default=timeout_s,
                   help='HTTP timeout per request, seconds')
    p.add_argument('--pid', action='store_true',
                   help='print the post\'s "pid N start!/finished!" lines (stderr)')

    p = sub.add_parser('dispatch', help='per-task overhead of a warm pool')
    common(p, dispatch_variants, True)
    p.add_argument('--tasks', type=int, default=10000)
    p.add_argument('--sync-tasks', type=int, default=2000,
                   help='cap the task count of the one-at-a-time %s '
                        'variant (0 = --tasks)' % one_at_a_time)
