"""io_latency.sh: latency-bound I/O, the reposts crawl against the embedded mock
Weibo API (`rankpool mock-weibo`, 800 ms per answer by default).

One post, 10 pages. rankpool's bound at K workers is (1 + ceil(9 / K)) request
times: page 1 first (it gives total_number), then pages 2..10 over the pool.
Target: within 1.1x of the bound at every pool size. All pool sizes run in one
allocation (`mpirun -np 10 ... --pool K`). Beside them the seed's
multiprocessing code (seed_pool.py reposts, Pool(K)) and mpi4py.futures
(mpirun -np K+1) against the same server; the seed fetches page 1 twice, so its
own bound is (1 + ceil(10 / K)) request times. When this rankpool has
`reposts --inflight`, rows with several requests in flight per worker follow
(target: 2 workers fetch 10 pages in about 2 request times).
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (PEERS, PY, TOKEN_ENV, Mock, common_args, fmt, footer, json_lines, log, mpirun,  # noqa: E402
                      rankpool_bin, ratio, run, run_json, show, start, table)

MID = '3664072912104801'


def has_inflight(bin_):
    out, _, _ = run([bin_, 'reposts', '--help'], check=False)
    return '--inflight' in out


def main():
    ap = common_args(__doc__)
    ap.add_argument('--latency-ms', type=int, default=None, help='mock answer delay (default 800; quick 200)')
    ap.add_argument('--pools', default=None, help='pool sizes (default 1,2,4,9; quick 2,9)')
    ap.add_argument('--variants', default=None,
                    help='rankpool variants (default apply_async,map,imap_unordered; quick apply_async)')
    ap.add_argument('--inflight', default='2,5', help='--inflight values for the 2-worker rows, if supported')
    ap.add_argument('--inflight-variants', default=None,
                    help='variants of the --inflight rows (default imap_unordered,map,apply_async; quick imap_unordered)')
    ap.add_argument('--no-peers', action='store_true')
    args = ap.parse_args()
    latency = args.latency_ms or (200 if args.quick else 800)
    pools = [int(p) for p in (args.pools or ('2,9' if args.quick else '1,2,4,9')).split(',')]
    variants = (args.variants or ('apply_async' if args.quick else 'apply_async,map,imap_unordered')).split(',')
    repeat = args.repeat or 1
    args.inflight_variants = args.inflight_variants or ('imap_unordered' if args.quick else
                                                        'imap_unordered,map,apply_async')
    if args.quick and args.inflight == '2,5':
        args.inflight = '5'
    start(args, f'Latency-bound I/O: reposts of one post (10 pages) against mock-weibo at {latency} ms')
    bin_ = rankpool_bin()
    req_s = latency / 1000
    np_ = max(pools) + 1
    mock = Mock(bin_, latency)
    cmds = [f'mock: `{show(mock.cmd)}` (prints its URL, stopped at the end)']
    rows, inflight_rows, peer = [], [], {}
    try:
        for k in pools:
            for variant in variants:
                cmd = mpirun(np_, bin_, 'reposts', '--mid', MID, '--api-base', mock.url, '--variant', variant,
                             '--pool', str(k), '--json')
                recs = [run_json(cmd, env=TOKEN_ENV) for _ in range(repeat)]
                rec = min(recs, key=lambda r: r['wall_seconds'])
                bound = (1 + math.ceil(9 / k)) * req_s
                rows.append((k, variant, rec, bound))
                log(f'io: rankpool {variant:15s} pool {k}: {rec["wall_seconds"]:.3f} s (bound {bound:.2f} s)')
                cmds.append(f'`{show(cmd, TOKEN_ENV)}`')
        if has_inflight(bin_):
            for variant in args.inflight_variants.split(','):
                for inflight in [int(x) for x in args.inflight.split(',')]:
                    cmd = mpirun(np_, bin_, 'reposts', '--mid', MID, '--api-base', mock.url, '--variant', variant,
                                 '--pool', '2', '--inflight', str(inflight), '--json')
                    rec = run_json(cmd, env=TOKEN_ENV)
                    inflight_rows.append((variant, inflight, rec))
                    log(f'io: rankpool {variant} --inflight {inflight} pool 2: {rec["wall_seconds"]:.3f} s')
                    cmds.append(f'`{show(cmd, TOKEN_ENV)}`')
        if not args.no_peers:
            for k in pools:
                cmd = [PY, os.path.join(PEERS, 'seed_pool.py'), 'reposts', '--api-base', mock.url, '--mid', MID,
                       '--pool', str(k), '--variant', 'apply_async,map', '--repeat', str(repeat), '--json']
                for r in json_lines(run(cmd, env=TOKEN_ENV)[0]):
                    peer[('python-pool', r['variant'], k)] = r
                cmds.append(f'`{show(cmd, TOKEN_ENV)}`')
                cmd = mpirun(k + 1, PY, '-m', 'mpi4py.futures', os.path.join(PEERS, 'mpi4py_futures.py'), 'reposts',
                             '--api-base', mock.url, '--mid', MID, '--variant', 'submit,map', '--repeat', str(repeat),
                             '--json')
                for r in json_lines(run(cmd, env=TOKEN_ENV)[0]):
                    peer[('mpi4py', r['variant'], k)] = r
                cmds.append(f'`{show(cmd, TOKEN_ENV)}`')
                log(f'io: peers pool {k}: Pool apply_async {peer[("python-pool", "apply_async", k)]["best_s"]:.3f} s, '
                    f'mpi4py submit {peer[("mpi4py", "submit", k)]["best_s"]:.3f} s')
    finally:
        mock.stop()

    table_rows = []
    for k, variant, rec, bound in rows:
        p_variant = 'map' if variant == 'map' else 'apply_async'
        m_variant = 'map' if variant == 'map' else 'submit'
        p = peer.get(('python-pool', p_variant, k))
        m = peer.get(('mpi4py', m_variant, k))
        table_rows.append([k, f'`{variant}`', rec['requests'], fmt(rec['wall_seconds']), fmt(bound),
                           ratio(rec['wall_seconds'], bound),
                           f'{fmt(p["best_s"])} ({ratio(p["best_s"], rec["wall_seconds"])})' if p else '–',
                           f'{fmt(m["best_s"])} ({ratio(m["best_s"], rec["wall_seconds"])})' if m else '–',
                           fmt((1 + math.ceil(10 / k)) * req_s)])
    print(f'Request time {latency} ms; best of {repeat}; rankpool on `mpirun -np {np_}` with `--pool K`. Peer '
          'columns: seconds (peer ÷ rankpool).\n')
    print(table(['workers', 'rankpool variant', 'requests', 'rankpool s', 'bound (1 + ⌈9/K⌉) × request',
                 'rankpool ÷ bound', f'Python Pool(K) {"apply_async / map"}', 'mpi4py.futures submit / map',
                 "seed's own bound (1 + ⌈10/K⌉)"], table_rows, 'rlrrrrrrr'))
    print()
    if inflight_rows:
        print('### Several requests in flight per worker (2 workers)\n')
        best_peer = min((r['best_s'] for (name, v, k), r in peer.items() if k == 2), default=None)
        print(table(['rankpool variant', '--inflight K', 'rankpool s', 'request times',
                     'bound (1 + ⌈9/(2K)⌉) × request', 'rankpool ÷ bound', 'best peer at 2 workers ÷ rankpool'],
                    [[f'`{v}`', i, fmt(r['wall_seconds']), fmt(r['wall_seconds'] / req_s),
                      fmt((1 + math.ceil(9 / (2 * i))) * req_s), ratio(r['wall_seconds'], (1 + math.ceil(9 / (2 * i))) * req_s),
                      ratio(best_peer, r['wall_seconds'])]
                     for v, i, r in inflight_rows], 'lrrrrrr'))
        print('\nWith `--inflight K`, chunks default to K pages, and a worker keeps a chunk\'s requests in flight '
              'together (libcurl multi). `apply_async` submits one page per call, so it cannot use it.')
    else:
        print('`--inflight`: not in this build of rankpool (`rankpool reposts --help` has no `--inflight`); '
              'those rows are skipped.')
    print()
    print('### Targets\n')
    worst = max(rows, key=lambda r: r[2]['wall_seconds'] / r[3])
    w_ratio = worst[2]['wall_seconds'] / worst[3]
    print(f'- Within 1.1× of the latency bound at every pool size: worst {fmt(w_ratio)}× (`{worst[1]}`, '
          f'{worst[0]} workers): **{"met" if w_ratio <= 1.1 else "not met"}**')
    if inflight_rows:
        v, i, r = min(inflight_rows, key=lambda x: x[2]['wall_seconds'])
        n = r['wall_seconds'] / req_s
        print(f'- 2 workers fetch the 10 pages in about 2 request times: best {fmt(n)} request times '
              f'(`{v} --inflight {i}`): **{"met" if n <= 2.2 else "not met"}**')
    print()
    print('### Commands\n')
    for c in cmds:
        print(f'- {c}')
    footer()


if __name__ == '__main__':
    main()
