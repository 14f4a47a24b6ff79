#!/usr/bin/env python3
"""seed_pool.py - the seed post's multiprocessing code, ported to Python 3.

The seed is the 2014 blog post "Python多进程模块Multiprocessing介绍" that
rankpool rebuilds (summarised, in our words, in docs/seed.md).
This file keeps its structure and function names (get_factorial,
f_list_serial, f_list_para_apply_async, f_list_para_map_async,
f_list_para_apply, f_list_para_map, get_repost_timeline, get_post_reposts,
get_post_reposts_para_async, get_post_reposts_para) so that rankpool's C++
pool can be measured against exactly what the post measured.  Its known
defects are fixed; every fix carries a "# seed defect fixed:" comment.

Experiments (one JSON object per line on stdout, timeit-style best of
--repeat, the pool created inside the timed function as the seed did):

  factorial  factorials 1..--upto (seed: 100) through the pool
  reposts    the Weibo repost_timeline crawl against --api-base (our mock)
  dispatch   per-task overhead of a warm Pool(2): identity tasks through
             apply_async / map(chunksize=1) / map(default chunksize) / apply

Human-readable, timeit-like summaries go to stderr unless --json is given;
the pid lines of --pid (the seed's "pid is ...") also go to stderr, so that
stdout stays pure JSON lines.

Run with /usr/bin/python3 (the Debian interpreter); only the standard library
is used here.  See README.md beside this file for exact commands.
"""
import multiprocessing as mul
import os
from math import factorial
import json, urllib.request, urllib.parse, urllib.error  # seed: json, urllib2, urllib

import argparse
import functools
import hashlib
import sys

import peer_cli
from peer_cli import emit, fmt_time, parse_variants, time_best_of  # noqa: F401 (the peers' names)

PEER = 'python-pool'

# seed defect fixed: the access token was hard-coded in the source.  It now
# comes from the environment variable WEIBO_ACCESS_TOKEN or from --token-file
# (main() exports it to WEIBO_ACCESS_TOKEN so that workers started by any
# start method see it); it is never printed, logged or put in the JSON output.
token = os.environ.get('WEIBO_ACCESS_TOKEN') or None

# The seed hard-coded https://api.weibo.com; --api-base (exported as
# WEIBO_API_BASE for the workers) points the crawl at a mock server instead.
API_BASE = os.environ.get('WEIBO_API_BASE') or 'https://api.weibo.com'
REPOST_PATH = '/2/statuses/repost_timeline.json'
PAGE_SIZE = 200     # the API's largest page ("count")
MAX_PAGES = 10      # the API serves only the newest 2000 reposts = 10 pages
HTTP_TIMEOUT_S = 60.0


# ---------------------------------------------------------------------------
# Experiment 1: small CPU task, factorials 1..100
# ---------------------------------------------------------------------------

def get_factorial(num, pid=0):
    if pid:
        print('pid is', os.getpid(), file=sys.stderr, flush=True)
    return factorial(num)


def f_list_serial(num, pid=0):
    results = []
    for n in range(1, num + 1):
        results.append(get_factorial(n, pid=pid))
    return results


def f_list_para_apply_async(num, pid=0, pool=None):
    # seed defect fixed: the seed called mul.Pool() here and ignored the
    # `pool` argument, so its Pool(50) / Pool(1) timings all used cpu_count()
    # workers.  The argument is honoured now (None = cpu_count(), as before).
    pool = mul.Pool(pool)
    results_list = []
    results = []
    for n in range(1, num + 1):
        results_list.append(
            pool.apply_async(get_factorial, args=(n, pid)))
    pool.close()
    pool.join()
    for result in results_list:
        results.append(result.get())
    return results


def f_list_para_map_async(num, pool=None):
    # seed defect fixed: the seed's name was f_list_para_map_asyns (typo; an
    # alias of that name is kept below).
    results_list = []
    pool = mul.Pool(pool)
    result = pool.map_async(get_factorial, range(1, num + 1))
    pool.close()
    pool.join()
    # seed defect fixed: the seed looped over an always-empty results_list,
    # appended to an undefined `results`, and returned the AsyncResult itself
    # instead of the results; the results are result.get() now.
    results_list = result.get()
    return results_list


f_list_para_map_asyns = f_list_para_map_async  # the seed's spelling


def f_list_para_apply(num, pid=0, pool=None):
    # seed defect fixed: `pool` ignored (mul.Pool()) as in
    # f_list_para_apply_async; honoured now.
    pool = mul.Pool(pool)
    results = []
    for n in range(1, num + 1):
        results.append(pool.apply(get_factorial, args=(n, pid)))
    pool.close()
    pool.join()
    return results


def f_list_para_map(num, pool=None):
    # seed defect fixed: the seed's f_list_para_map(num) had no pool size at
    # all (always mul.Pool()); the `pool` argument is added and honoured.
    results_list = []
    pool = mul.Pool(pool)
    result = pool.map(get_factorial, range(1, num + 1))
    pool.close()
    pool.join()
    return result


FACTORIAL_VARIANTS = {
    'serial': lambda num, pool: f_list_serial(num),
    'apply_async': lambda num, pool: f_list_para_apply_async(num, pool=pool),
    'map_async': lambda num, pool: f_list_para_map_async(num, pool=pool),
    'apply': lambda num, pool: f_list_para_apply(num, pool=pool),
    'map': lambda num, pool: f_list_para_map(num, pool=pool),
    # the seed's first measurement: one get_factorial(100) call, no pool
    'single': lambda num, pool: [get_factorial(num)],
}


def factorial_checksum(results):
    """sha256 of the decimal results joined by '\\n', and their digit count."""
    text = '\n'.join(str(r) for r in results)
    return {'results': len(results),
            'digits': sum(len(str(r)) for r in results),
            'sha256': hashlib.sha256(text.encode()).hexdigest()}


# ---------------------------------------------------------------------------
# Experiment 2: slow I/O task, Weibo reposts
# ---------------------------------------------------------------------------

class WeiboApiError(RuntimeError):
    """An API or transport failure; its message never contains the token."""


def get_repost_timeline(id, count=200, page=1, pid=0, **keys):
    if pid:
        print('pid', os.getpid(), 'start!', file=sys.stderr, flush=True)
    query_args = {'id': id, 'count': count, 'page': page}
    if token:
        query_args['access_token'] = token
    query_args.update(keys)
    url = API_BASE.rstrip('/') + REPOST_PATH + '?'
    encoded_args = urllib.parse.urlencode(query_args)
    try:
        content = urllib.request.urlopen(url + encoded_args,
                                         timeout=HTTP_TIMEOUT_S).read()
    except urllib.error.HTTPError as e:
        # Re-raised as a plain, picklable exception without the URL (which
        # carries the token); the API's own error JSON is kept.
        body = e.read()[:300].decode('utf-8', 'replace')
        raise WeiboApiError('HTTP %d from %s%s page=%s: %s'
                            % (e.code, API_BASE, REPOST_PATH, page, body)) from None
    except (urllib.error.URLError, OSError) as e:
        raise WeiboApiError('cannot reach %s%s page=%s: %s'
                            % (API_BASE, REPOST_PATH, page,
                               getattr(e, 'reason', e))) from None
    if pid:
        print('pid', os.getpid(), 'finished!', file=sys.stderr, flush=True)
    data = json.loads(content)
    if isinstance(data, dict) and 'error_code' in data:
        raise WeiboApiError('API error %s: %s' % (data.get('error_code'),
                                                   data.get('error')))
    return data


def page_count(total_number, count=PAGE_SIZE, max_pages=None):
    # seed defect fixed: the seed used total_number / 200 + 1, which asks for
    # an extra, empty page whenever the total is a multiple of 200 (and
    # 1 page for 0 reposts).  The right count is ceil(total / count), capped
    # at the 10 pages (2000 reposts) the API serves.
    if max_pages is None:
        max_pages = MAX_PAGES
    return min(-(-int(total_number) // count), max_pages)


def get_post_reposts(mid, pid=0):
    reposts = []
    total_number = get_repost_timeline(id=mid)['total_number']
    page_number = page_count(total_number)
    for i in range(1, page_number + 1):
        reposts += get_repost_timeline(mid, page=i, pid=pid)['reposts']
    return reposts


get_post_reposts_serial = get_post_reposts  # name used in rankpool's docs


def get_post_reposts_para_async(mid, pool_num=None, pid=0):
    reposts = []
    results = []
    pool = mul.Pool(pool_num)
    total_number = get_repost_timeline(id=mid)['total_number']
    page_number = page_count(total_number)
    for i in range(1, page_number + 1):
        results.append(pool.apply_async(get_repost_timeline,
                                        kwds=dict(id=mid, page=i, pid=pid)))
    pool.close()
    pool.join()
    for result in results:
        reposts += result.get()['reposts']
    return reposts


def get_post_reposts_para(mid, pool_num=None, pid=0):
    reposts = []
    pool = mul.Pool(pool_num)
    total_number = get_repost_timeline(id=mid)['total_number']
    # seed defect fixed: the seed divided by 20 (not 200) here and then
    # looped range(1, page_number), skipping the last page; both fixed by
    # page_count() and range(1, page_number + 1).
    page_number = page_count(total_number)
    for i in range(1, page_number + 1):
        reposts += pool.apply(get_repost_timeline,
                              kwds=dict(id=mid, page=i, pid=pid))['reposts']
    pool.close()
    pool.join()
    return reposts


# Not in the seed: the same crawl through map / map_async, for a complete
# variant table.  functools.partial(get_repost_timeline, mid, PAGE_SIZE)
# maps each page number onto the `page` parameter.

def get_post_reposts_para_map(mid, pool_num=None, pid=0):
    pool = mul.Pool(pool_num)
    total_number = get_repost_timeline(id=mid)['total_number']
    page_number = page_count(total_number)
    pages = pool.map(functools.partial(get_repost_timeline, mid, PAGE_SIZE),
                     range(1, page_number + 1))
    pool.close()
    pool.join()
    reposts = []
    for p in pages:
        reposts += p['reposts']
    return reposts


def get_post_reposts_para_map_async(mid, pool_num=None, pid=0):
    pool = mul.Pool(pool_num)
    total_number = get_repost_timeline(id=mid)['total_number']
    page_number = page_count(total_number)
    result = pool.map_async(functools.partial(get_repost_timeline, mid, PAGE_SIZE),
                            range(1, page_number + 1))
    pool.close()
    pool.join()
    reposts = []
    for p in result.get():
        reposts += p['reposts']
    return reposts


REPOSTS_VARIANTS = {
    'serial': lambda mid, pool, pid: get_post_reposts(mid, pid=pid),
    'apply_async': lambda mid, pool, pid: get_post_reposts_para_async(mid, pool, pid),
    'apply': lambda mid, pool, pid: get_post_reposts_para(mid, pool, pid),
    'map': lambda mid, pool, pid: get_post_reposts_para_map(mid, pool, pid),
    'map_async': lambda mid, pool, pid: get_post_reposts_para_map_async(mid, pool, pid),
    # the seed's first measurement: one page, no pool
    'single': lambda mid, pool, pid: get_repost_timeline(mid, pid=pid)['reposts'],
}


# ---------------------------------------------------------------------------
# Experiment 3 (not in the seed): per-task dispatch overhead of a warm pool
# ---------------------------------------------------------------------------

def identity(x):
    return x


def mp_default_chunksize(n_tasks, n_workers):
    """multiprocessing.Pool.map's own default chunksize."""
    chunksize, extra = divmod(n_tasks, n_workers * 4)
    return chunksize + 1 if extra else chunksize


def base_record(experiment, variant, pool, runs, number):
    return peer_cli.record(PEER, experiment, variant, pool, runs, number,
                           start_method=mul.get_start_method(), cpus=os.cpu_count())


def effective_pool(n):
    return n if n else mul.cpu_count()


def cmd_factorial(args):
    expected = factorial_checksum(f_list_serial(args.upto))
    for variant in parse_variants(args.variant, FACTORIAL_VARIANTS):
        fn = FACTORIAL_VARIANTS[variant]
        pool = None if variant in ('serial', 'single') else args.pool
        number = args.number
        if number is None:
            number = 0 if variant in ('serial', 'single') else 1
        runs, number, results = time_best_of(
            lambda: fn(args.upto, pool), args.repeat, number)
        rec = base_record('factorial', variant,
                          None if pool is None and variant in ('serial', 'single')
                          else effective_pool(pool), runs, number)
        rec['upto'] = args.upto
        check = factorial_checksum(results)
        rec.update(check)
        if variant == 'single':
            rec['ok'] = results == [factorial(args.upto)]
        else:
            rec['ok'] = check == expected
        if args.pid:   # the seed's pid demonstration, untimed, to stderr
            print('# pids for %s (pool=%s), upto=10:' % (variant, pool),
                  file=sys.stderr)
            demo = {'serial': lambda: f_list_serial(10, pid=1),
                    'apply_async': lambda: f_list_para_apply_async(10, pid=1, pool=pool),
                    'apply': lambda: f_list_para_apply(10, pid=1, pool=pool)}
            if variant in demo:
                demo[variant]()
        emit(args, rec)
        if not rec['ok']:
            print('factorial %s: checksum mismatch' % variant, file=sys.stderr)
            return 1
    return 0


def cmd_reposts(args):
    def pool_of(variant):
        return None if variant in ('serial', 'single') else args.pool

    def crawl(variant):
        return REPOSTS_VARIANTS[variant](args.mid, pool_of(variant), 1 if args.pid else 0)

    def make_record(variant, runs, number):
        pool = pool_of(variant)
        return base_record('reposts', variant, None if pool is None and variant in ('serial', 'single')
                           else effective_pool(pool), runs, number)
    return peer_cli.run_reposts(args, REPOSTS_VARIANTS, crawl, make_record,
                                lambda: get_repost_timeline(args.mid, page=1)['total_number'],
                                page_count, PAGE_SIZE, API_BASE)


def dispatch_variant(pool, variant, n, workers):
    """Run n identity tasks through a warm pool; returns (results, chunksize)."""
    xs = range(n)
    if variant == 'apply_async':
        rs = [pool.apply_async(identity, (i,)) for i in xs]
        return [r.get() for r in rs], None
    if variant == 'map_c1':
        return pool.map(identity, xs, chunksize=1), 1
    if variant == 'map_default':
        return pool.map(identity, xs), mp_default_chunksize(n, workers)
    if variant == 'apply':
        return [pool.apply(identity, (i,)) for i in xs], None
    raise ValueError(variant)


DISPATCH_VARIANTS = ('startup', 'apply_async', 'map_c1', 'map_default', 'apply')


def cmd_dispatch(args):
    workers = effective_pool(args.pool)
    variants = parse_variants(args.variant, dict.fromkeys(DISPATCH_VARIANTS))
    if 'startup' in variants:
        # Pool start-up + `workers` trivial tasks + close/join: the fixed cost
        # that the seed's "pool created inside the timed function" paid.
        def startup():
            p = mul.Pool(workers)
            out = p.map(identity, range(workers), chunksize=1)
            p.close()
            p.join()
            return out
        runs, number, out = time_best_of(startup, args.repeat, 1)
        rec = base_record('dispatch', 'startup', workers, runs, number)
        rec.update({'tasks': workers, 'chunksize': 1, 'us_per_task': None,
                    'ok': out == list(range(workers))})
        emit(args, rec)
    pool = mul.Pool(workers)
    try:
        pool.map(identity, range(workers * 4), chunksize=1)   # warm-up
        status = peer_cli.run_dispatch(
            args, variants, 'apply', lambda variant, n: dispatch_variant(pool, variant, n, workers),
            lambda variant, runs, number: base_record('dispatch', variant, workers, runs, number))
    finally:
        pool.close()
        pool.join()
    return status


def load_token(args):
    """Token from --token-file, else env WEIBO_ACCESS_TOKEN; never printed."""
    global token
    if args.token_file:
        with open(args.token_file, encoding='utf-8') as fh:
            tok = fh.read().strip()
        if not tok:
            sys.exit('--token-file %s is empty' % args.token_file)
        token = tok
        os.environ['WEIBO_ACCESS_TOKEN'] = tok   # for spawn/forkserver workers
        return 'file'
    if token:
        return 'env'
    return 'none'


def build_parser():
    ap = argparse.ArgumentParser(
        description='The 2014 post\'s multiprocessing.Pool experiments '
                    '(Python 3 port, defects fixed); JSON lines on stdout.')
    sub = ap.add_subparsers(dest='experiment', required=True)

    def common(p, variants, dispatch):
        pool_default = 2 if dispatch else None
        peer_cli.add_common_options(p, variants, pool_default, 'worker processes (default: %s)'
                                    % (pool_default or 'cpu_count(), as mul.Pool()'))
        p.add_argument('--start-method', choices=('fork', 'spawn', 'forkserver'),
                       help='multiprocessing start method (default: the '
                            'platform\'s, fork on Linux up to Python 3.13)')
    peer_cli.add_experiment_options(sub, common, FACTORIAL_VARIANTS, REPOSTS_VARIANTS, DISPATCH_VARIANTS,
                                    MAX_PAGES, HTTP_TIMEOUT_S, 'apply')
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.start_method:
        mul.set_start_method(args.start_method)
    if args.repeat < 1:
        sys.exit('--repeat must be >= 1')
    return run_experiment(args, cmd_factorial, cmd_dispatch, cmd_reposts)


def run_experiment(args, factorial_cmd, dispatch_cmd, reposts_cmd):
    """Runs the experiment ARGS name with the peer's commands; for the crawl,
    first points this module (and workers started later) at --api-base, the
    page limit, the timeout and the token."""
    global API_BASE, MAX_PAGES, HTTP_TIMEOUT_S
    if args.experiment == 'factorial':
        return factorial_cmd(args)
    if args.experiment == 'dispatch':
        return dispatch_cmd(args)
    if args.api_base:
        API_BASE = args.api_base
        os.environ['WEIBO_API_BASE'] = args.api_base  # for spawn/forkserver workers
    MAX_PAGES = args.max_pages
    HTTP_TIMEOUT_S = args.timeout
    args.token_source = load_token(args)
    if args.token_source == 'none':
        print('note: no access token (set WEIBO_ACCESS_TOKEN or --token-file);'
              ' requests carry none', file=sys.stderr)
    try:
        return reposts_cmd(args)
    except WeiboApiError as e:
        print('reposts: %s' % e, file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
