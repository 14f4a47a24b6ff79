#!/usr/bin/python3
"""Chrome trace (rankpool --trace-out) -> gnuplot data for a Gantt chart.

  trace_to_gantt.py TRACE.json OUT.dat [--ytics OUT.gp]

Reads the "X" (complete) events: ts/dur in µs, tid = rank, args.index = task.
Writes one line per task:  rank start_s end_s index phase "name"
Tasks fall into phases: a new phase starts where a task starts after every
earlier task has ended (e.g. the reposts job's page-1 probe, then the pages).
With --ytics, also writes gnuplot commands naming each rank's row
("rank 2 (host, pid 4711)", from the trace's thread_name records) and the
variables t_end / n_ranks / n_tasks. Standard library only.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('trace')
    ap.add_argument('out')
    ap.add_argument('--ytics')
    args = ap.parse_args()
    with open(args.trace) as f:
        doc = json.load(f)
    events = doc['traceEvents'] if isinstance(doc, dict) else doc
    names = {e['tid']: e['args']['name'] for e in events
             if e.get('ph') == 'M' and e.get('name') == 'thread_name'}
    tasks = sorted((e for e in events if e.get('ph') == 'X'), key=lambda e: (e['ts'], e['tid']))
    if not tasks:
        sys.exit(f'{args.trace}: no "X" events')
    phase, horizon, t_end = 0, None, 0.0
    with open(args.out, 'w') as out:
        out.write('# rank start_s end_s index phase name\n')
        for e in tasks:
            start, end = e['ts'] / 1e6, (e['ts'] + e.get('dur', 0)) / 1e6
            if horizon is not None and start >= horizon:
                phase += 1
            horizon = end if horizon is None else max(horizon, end)
            t_end = max(t_end, end)
            index = e.get('args', {}).get('index', '')
            out.write(f'{e["tid"]} {start:.6f} {end:.6f} {index} {phase} "{e.get("name", "")}"\n')
    ranks = sorted({e['tid'] for e in tasks} | set(names))
    if args.ytics:
        with open(args.ytics, 'w') as g:
            labels = ', '.join('"%s" %d' % (names.get(r, f'rank {r}').replace('"', "'"), r) for r in ranks)
            g.write(f'set ytics ({labels})\n')
            g.write(f't_end = {t_end:.6f}\nn_ranks = {len(ranks)}\nn_tasks = {len(tasks)}\n')
            g.write(f'r_min = {min(ranks)}\nr_max = {max(ranks)}\nn_phases = {phase + 1}\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
