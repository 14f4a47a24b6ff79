#!/usr/bin/python3
"""Turn the raw output of hpc/bench/seed_experiments.sh into the Markdown tables
(results/factorial.md, results/reposts.md) and the gnuplot data files behind
the *_vs_pool.png plots. Standard library only.

  seed_tables.py --raw DIR --out DIR --meta META.json

Inputs in --raw, per experiment E (factorial, reposts):
  E_rankpool.csv          `rankpool compare E --csv`   (variant,pool,best,median,speedup,seed)
  E_python_pool.jsonl     `seed_pool.py E --json`       (one JSON object a line)
  E_mpi4py.jsonl          `mpi4py_futures.py E --json`
Writes --out/E.md, --raw/E_vs_pool.dat (one gnuplot index block per variant) and
--raw/E_vs_pool.gp (variables for plots/vs_pool.gp: series present, axis ranges).
"""
import argparse
import csv
import json
import math
import os

VARIANTS = ['apply', 'apply_async', 'map', 'map_async', 'imap', 'imap_unordered']
PY_VARIANTS = {'apply', 'apply_async', 'map', 'map_async'}          # seed_pool.py has these
MPI4PY_OF = {'apply': 'submit_result', 'apply_async': 'submit', 'map': 'map'}  # mpi4py.futures equivalents


def fmt(s):
    """Seconds, 4 significant digits, in s / ms / µs."""
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return '—'
    for unit, scale in (('s', 1.0), ('ms', 1e-3), ('µs', 1e-6)):
        if s >= scale:
            v = s / scale
            return f'{v:.4g} {unit}' if v < 1000 else f'{v:.0f} {unit}'
    return f'{s / 1e-9:.4g} ns'


def read_rankpool(path):
    """{(variant, pool or None): (best, median)} and {(variant, pool): seed figure text}."""
    cells, seed = {}, {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            pool = int(row['pool']) or None
            key = (row['variant'], pool)
            cells[key] = (float(row['best_seconds']), float(row['median_seconds']))
            if row.get('seed'):
                seed[key] = row['seed']
    return cells, seed


def read_peer(path, rename=None):
    """{(variant, pool or None): record}; every record must say ok."""
    out, bad = {}, []
    if not os.path.exists(path):
        return out, bad
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith('{'):
                continue
            r = json.loads(line)
            if not r.get('ok', False):
                bad.append(f"{r.get('peer')} {r.get('variant')} pool {r.get('pool')}")
            out[(r['variant'], r.get('pool'))] = r
    return out, bad


def best(rec):
    return None if rec is None else rec['best_s']


class Experiment:
    def __init__(self, name, raw, meta):
        self.name, self.meta, self.raw = name, meta, raw
        self.rp, self.seed = read_rankpool(os.path.join(raw, f'{name}_rankpool.csv'))
        self.py, bad_py = read_peer(os.path.join(raw, f'{name}_python_pool.jsonl'))
        self.mp, bad_mp = read_peer(os.path.join(raw, f'{name}_mpi4py.jsonl'))
        self.bad = bad_py + bad_mp
        self.pools = sorted({p for (_, p) in self.rp if p})
        self.latency = meta['latency_ms'] / 1000.0

    # --- the latency bound (reposts only) -------------------------------------
    def bound(self, variant, pool):
        """rankpool: page 1, then pages 2..10 over the pool; the peers ask page 1 twice."""
        L = self.latency
        if variant == 'single':
            return L, L
        if variant in ('serial', 'apply') or pool is None:
            return 10 * L, 11 * L
        return (1 + math.ceil(9 / pool)) * L, (1 + math.ceil(10 / pool)) * L

    def bound_text(self, variant, pool):
        ours, peers = self.bound(variant, pool)
        t = fmt(ours)
        return t if abs(ours - peers) < 1e-9 else f'{t} (peers {fmt(peers)})'

    # --- cells ------------------------------------------------------------------
    def mpi4py_cell(self, variant, pool):
        if variant in ('serial', 'single'):
            return fmt(best(self.mp.get((variant, None))))
        name = MPI4PY_OF.get(variant)
        if name is None:
            return '—'
        text = fmt(best(self.mp.get((name, pool))))
        if variant == 'map' and (('map_chunked', pool) in self.mp):
            r = self.mp[('map_chunked', pool)]
            text += f"; chunksize {r.get('chunksize', '?')}: {fmt(r['best_s'])}"
        return text

    def rows(self):
        """(variant, pool text, rankpool, python, mpi4py, seed, [bound]) and the plot series."""
        rows = []
        single_seed = {'factorial': '29.1 µs', 'reposts': '≈0.83 s (one page)'}[self.name]
        rows.append(('one call (single)', '—', '—', fmt(best(self.py.get(('single', None)))),
                     self.mpi4py_cell('single', None), single_seed, 'single', None))
        s = self.rp.get(('serial', None))
        rows.append(('serial', '—', fmt(s[0] if s else None), fmt(best(self.py.get(('serial', None)))),
                     self.mpi4py_cell('serial', None), self.seed.get(('serial', None), ''), 'serial', None))
        for v in VARIANTS:
            for k in self.pools:
                r = self.rp.get((v, k))
                py = fmt(best(self.py.get((v, k)))) if v in PY_VARIANTS else '—'
                rows.append((v, str(k), fmt(r[0] if r else None), py, self.mpi4py_cell(v, k),
                             self.seed.get((v, k), ''), v, k))
        return rows

    def markdown(self):
        m = self.meta
        reposts = self.name == 'reposts'
        out = [f'# Seed experiment: {self.name}', '',
               'Made by:', '', '```sh', m['command'], '```', '']
        out.append(f"{m['date']} on `{m['host']}` ({m['cpus']} cores, shared); load average "
                   f"{m['load_before']} before, {m['load_after']} after. rankpool {m['rankpool_version']}, "
                   f"{m['python']}, mpi4py {m['mpi4py']}, {m['mpi']}.")
        out.append('')
        if reposts:
            out.append(f"Against `rankpool mock-weibo --latency-ms {m['latency_ms']}` (one server for every run; "
                       f"post {m['mid']}: total_number 2500, the newest 2000 reachable, so 10 pages of 200). "
                       f"Best of {m['reposts_repeat']} run{'s' if m['reposts_repeat'] != 1 else ''} per cell"
                       + (' (`--reposts-repeat 1`, the default: at 800 ms a page, three runs of every cell '
                          'would not fit in 10 minutes; so best = median = the one run)'
                          if m['reposts_repeat'] == 1 else '') + '.')
        else:
            out.append(f"n! for n = 1..{m['upto']}; best of {m['factorial_repeat']} runs per cell "
                       '(serial and single: timeit autorange loops per run in the Python peers).')
        out.append('')
        head = ['variant', 'pool', 'rankpool best', 'Python Pool best', 'mpi4py.futures best', 'seed (2014)']
        if reposts:
            head.append(f"latency bound (1 + ⌈9/pool⌉) × {self.latency:g} s")
        out.append('| ' + ' | '.join(head) + ' |')
        out.append('|' + '---|' * 2 + '---:|' * (len(head) - 2))
        for row in self.rows():
            v, pool, rp, py, mp, seed, var, k = row
            cells = [v, pool, rp, py, mp, seed or '']
            if reposts:
                cells.append(self.bound_text(var, k))
            out.append('| ' + ' | '.join(cells) + ' |')
        out.append('')
        out += self.summary() + ['']
        out += self.notes()
        if self.bad:
            out += ['', '**Peer runs that did not return the right results:** ' + ', '.join(self.bad)]
        return '\n'.join(out) + '\n'

    def summary(self):
        """A few lines computed from the cells."""
        pool_cells = {
            'rankpool': {(v, k): c[0] for (v, k), c in self.rp.items() if k},
            'Python Pool': {(r['variant'], k): r['best_s'] for (v, k), r in self.py.items() if k},
            'mpi4py.futures': {(r['variant'], k): r['best_s'] for (v, k), r in self.mp.items() if k},
        }
        lines = []
        if self.name == 'reposts':
            ratios = [(c / self.bound(v, k)[0], v, k) for (v, k), c in pool_cells['rankpool'].items()]
            worst, best_r = max(ratios), min(ratios)
            lines.append(f'rankpool against its latency bound: {best_r[0]:.3f}× to {worst[0]:.3f}× '
                         f'(worst: {worst[1]} at pool {worst[2]}).')
            for peer in ('Python Pool', 'mpi4py.futures'):
                rs = [c / self.bound('apply' if v in ('apply', 'submit_result') else 'apply_async', k)[1]
                      for (v, k), c in pool_cells[peer].items()]
                if rs:
                    lines.append(f'{peer} against its own bound (11 requests): {min(rs):.3f}× to {max(rs):.3f}×.')
            k = max(self.pools)
            cells = [('rankpool', self.rp.get(('apply_async', k), (None,))[0]),
                     ('Python Pool', best(self.py.get(('apply_async', k)))),
                     ('mpi4py.futures', best(self.mp.get(('submit', k)))),
                     ('seed', parse_seed(self.seed.get(('apply_async', k))))]
            lines.append(f'apply_async at pool {k}: ' + ', '.join(f'{n} {fmt(c)}' for n, c in cells if c)
                         + f'; bound {fmt(self.bound("apply_async", k)[0])}.')
        else:
            serial = self.rp.get(('serial', None), (None,))[0]
            for peer, cells in pool_cells.items():
                if cells:
                    (v, k), c = min(cells.items(), key=lambda kv: kv[1])
                    lines.append(f'{peer}: fastest pool cell {fmt(c)} ({v}, pool {k})'
                                 + (f', {c / serial:.1f}× the serial loop\'s {fmt(serial)}' if serial else '') + '.')
        return ['Summary: ' + ' '.join(lines)] if lines else []

    def notes(self):
        m = self.meta
        n = ['Notes:', '',
             '- **rankpool**: `rankpool compare` in one `mpirun` allocation, pool sizes via `--pool K`; '
             'the ranks are started before the clock starts. **Python Pool**: `hpc/bench/peers/seed_pool.py` '
             '(the seed\'s code in Python 3, defects fixed), which creates `Pool(K)` *inside* the timed '
             'function as the seed did, so its times include forking K workers. **mpi4py.futures**: '
             '`hpc/bench/peers/mpi4py_futures.py` under `mpirun -np K+1 python3 -m mpi4py.futures` '
             '(shared mode: workers already started, a new `MPIPoolExecutor` per run).',
             '- mpi4py.futures rows: `apply` = `submit(...).result()` one at a time, `apply_async` = '
             '`submit` all then `shutdown()`, `map` = `executor.map` (chunksize 1)'
             + ('; after `;` the same with the chunksize `Pool.map` would pick' if self.name == 'factorial' else '')
             + '. It has no `map_async`/`imap` equivalents (—). Python Pool has no `imap` rows here (the seed '
             'did not use them).',
             '- seed (2014): the blog post\'s figures (Python 2, 4-core laptop'
             + (', the real Weibo API at ≈0.83 s a page, 11 requests' if self.name == 'reposts' else '')
             + '). Its `pool` argument was ignored for `apply`/`apply_async` (a defect), so its Pool(1)/Pool(10)'
             + ('/Pool(100)' if self.name == 'reposts' else '/Pool(50)')
             + ' figures really ran on the default 4 workers. Rows it did not measure are blank.',
             ]
        if self.name == 'reposts':
            n.append('- Latency bound: rankpool asks page 1 (for total_number), then pages 2..10 as tasks: '
                     '(1 + ⌈9/K⌉) request times for the async variants, 10 for `serial` and `apply`. The Python '
                     'peers keep the seed\'s structure and ask page 1 twice (11 requests): '
                     '(1 + ⌈10/K⌉) request times, shown as "peers" where it differs. '
                     'Above the bound is per-request overhead: HTTP, JSON decoding of 200 reposts, dispatch.')
            n.append('- Python Pool `map`/`map_async` cut the 10 pages into chunks of ⌈10/(4K)⌉: at pool 2 '
                     'that is 5 chunks of 2 pages on 2 workers, 1 + 6 request times instead of 1 + 5.')
            n.append('- mpi4py.futures: each `mpirun` launch starts with one untimed warm-up crawl (`map`), '
                     'dropped from the table (raw/reposts_mpi4py_warmup.jsonl): a fresh shared-mode worker\'s '
                     'first task pays for importing the task code, which a best-of-1 would count. '
                     + self.warmup_text())
        else:
            n.append('- The seed\'s point stands: 100 factorials take ~20 µs in a loop, so every pool loses to '
                     'serial; the pool variants measure dispatch (and, for Python Pool, forking the workers).')
        return n

    def warmup_text(self):
        path = os.path.join(self.raw, 'reposts_mpi4py_warmup.jsonl')
        warm, _ = read_peer(path)
        extra = [(k, r['best_s'] - self.mp[('map', k)]['best_s'])
                 for (v, k), r in sorted(warm.items(), key=lambda kv: kv[0][1] or 0) if ('map', k) in self.mp]
        if not extra:
            return ''
        return ('Here the warm-up took longer than the timed `map` of the same launch by '
                + ', '.join(f'{fmt(x)} (pool {k})' for k, x in extra) + '.')

    def plot_data(self, path, gp_path):
        """One index block per variant: pool rankpool python mpi4py seed bound serial.
        gp_path: gnuplot variables for vs_pool.gp (which series each block has, the y range)."""
        serial = self.rp.get(('serial', None))
        serial = serial[0] if serial else None
        present, values = [], []
        with open(path, 'w') as f:
            for v in VARIANTS:
                f.write(f'# {v}\n# pool rankpool python_pool mpi4py seed bound serial_rankpool\n')
                has = [False] * 6
                for k in self.pools:
                    r = self.rp.get((v, k))
                    py = best(self.py.get((v, k))) if v in PY_VARIANTS else None
                    mname = MPI4PY_OF.get(v)
                    if v == 'map' and ('map_chunked', k) in self.mp:
                        mname = 'map_chunked'     # the chunksize Pool.map would use, like the Pool column
                    mp = best(self.mp.get((mname, k))) if mname else None
                    seed = parse_seed(self.seed.get((v, k)))
                    bnd = self.bound(v, k)[0] if self.name == 'reposts' else None
                    vals = [r[0] if r else None, py, mp, seed, bnd, serial]
                    has = [h or x is not None for h, x in zip(has, vals)]
                    values += [x for x in vals if x]
                    f.write(f'{k} ' + ' '.join('NaN' if x is None else f'{x:.9g}' for x in vals) + '\n')
                f.write('\n\n')
                present.append(' '.join('1' if h else '0' for h in has))
        with open(gp_path, 'w') as g:
            g.write(f'array present[{len(VARIANTS)}]\narray subtitle[{len(VARIANTS)}]\n')
            for i, (v, p) in enumerate(zip(VARIANTS, present), 1):
                sub = ''
                if v == 'map' and any(('map_chunked', k) in self.mp for k in self.pools):
                    sub = " (mpi4py.futures: map with Pool.map's chunksize)"
                elif v in MPI4PY_OF and p.split()[2] == '1':
                    sub = f' (mpi4py.futures: {MPI4PY_OF[v]})'
                g.write(f'present[{i}] = "{p}"\nsubtitle[{i}] = "{v}{sub}"\n')
            lo, hi = min(values), max(values)
            g.write(f'ymin = {lo / 1.5:.3g}\nymax = {hi * 1.5:.3g}\n')
            g.write(f'xmax = {max(self.pools) * 1.25:g}\n')
            g.write(f'xtics_list = "{" ".join(str(k) for k in self.pools)}"\n')


def parse_seed(text):
    """'7.64 s' / '156 ms' / '594 µs' -> seconds."""
    if not text:
        return None
    try:
        num, unit = text.split()
        return float(num) * {'s': 1.0, 'ms': 1e-3, 'µs': 1e-6, 'us': 1e-6}[unit]
    except (ValueError, KeyError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--raw', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--meta', required=True)
    ap.add_argument('--experiments', default='factorial,reposts')
    args = ap.parse_args()
    with open(args.meta) as f:
        meta = json.load(f)
    status = 0
    for name in args.experiments.split(','):
        e = Experiment(name, args.raw, meta)
        with open(os.path.join(args.out, f'{name}.md'), 'w') as f:
            f.write(e.markdown())
        e.plot_data(os.path.join(args.raw, f'{name}_vs_pool.dat'), os.path.join(args.raw, f'{name}_vs_pool.gp'))
        if e.bad:
            status = 1
    return status


if __name__ == '__main__':
    raise SystemExit(main())
