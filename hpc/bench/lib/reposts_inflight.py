"""reposts_inflight.sh: `--inflight K` in every variant, against the embedded
mock Weibo API (`rankpool mock-weibo`, 800 ms per answer by default).

One post, 10 pages, 2 workers (`mpirun -np 3`): page 1 first (it gives
total_number), then pages 2..10. A worker holds up to K pages at once however
they come (apply_async: one page per call; imap_unordered: chunks; map: a
scattered share), so at K = 5 the 9 pages go out together: 2 request times.
Target: <= 2.2 request times (wall ÷ request time, the run's own `wall_seconds`)
for apply_async, map and imap_unordered at --inflight 5. Rows at --inflight 1
and the serial variant (one page after another: 10 request times) beside.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (TOKEN_ENV, Mock, common_args, fmt, footer, log, mpirun, rankpool_bin, run_json, show,  # noqa: E402
                      start, table)
from io_latency import MID  # noqa: E402

VARIANTS = ['apply_async', 'map', 'imap_unordered']
TARGET = 2.2


def main():
    ap = common_args(__doc__)
    ap.add_argument('--latency-ms', type=int, default=None, help='mock answer delay (default 800; quick 400)')
    ap.add_argument('--inflight', type=int, default=5, help='K of the target rows (default 5)')
    args = ap.parse_args()
    latency = args.latency_ms or (400 if args.quick else 800)
    repeat = args.repeat or 1
    start(args, f'--inflight in every variant: one post (10 pages), 2 workers, mock-weibo at {latency} ms')
    bin_ = rankpool_bin()
    req_s = latency / 1000
    mock = Mock(bin_, latency)
    cmds = [f'mock: `{show(mock.cmd)}` (prints its URL, stopped at the end)']
    runs = [(v, k) for v in VARIANTS for k in (1, args.inflight)]
    if not args.quick:
        runs.append(('serial', 1))
    rows = []
    try:
        for variant, inflight in runs:
            cmd = mpirun(3, bin_, 'reposts', '--mid', MID, '--api-base', mock.url, '--variant', variant,
                         '--inflight', str(inflight), '--out', os.devnull, '--json')
            rec = min((run_json(cmd, env=TOKEN_ENV) for _ in range(repeat)), key=lambda r: r['wall_seconds'])
            times = rec['wall_seconds'] / req_s
            rows.append((variant, inflight, rec, times))
            log(f'inflight: {variant:15s} --inflight {inflight}: {rec["wall_seconds"]:.3f} s = {times:.2f} requests')
            cmds.append(f'`{show(cmd, TOKEN_ENV)}`')
    finally:
        mock.stop()

    print(f'Request time {latency} ms; best of {repeat}; `mpirun -np 3` (2 workers). Request times = the run\'s '
          f'`wall_seconds` ÷ {latency} ms (mpirun\'s start not counted).\n')
    print(table(['variant', '--inflight', 'requests', 'wall s', 'request times', f'target (≤ {TARGET} at K = '
                 f'{args.inflight})'],
                [[f'`{v}`', k, r['requests'], fmt(r['wall_seconds']), fmt(t),
                  ('met' if t <= TARGET else 'not met') if k == args.inflight and v != 'serial' else '–']
                 for v, k, r, t in rows], 'lrrrrl'))
    target_rows = [(v, t) for v, k, _, t in rows if k == args.inflight and v != 'serial']
    worst = max(target_rows, key=lambda x: x[1])
    verdict = 'met' if worst[1] <= TARGET else 'not met'
    print(f'\n### Targets\n\n- 2 workers at `--inflight {args.inflight}` fetch 10 pages in ≤ {TARGET} request times '
          f'in every variant: worst {fmt(worst[1])} (`{worst[0]}`): **{verdict}**\n\n### Commands\n')
    print('\n'.join(f'- {c}' for c in cmds))
    footer()


if __name__ == '__main__':
    main()
