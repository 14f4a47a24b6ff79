"""per_task.sh: what one factorial task costs, and what its result weighs on the wire.

1. rankpool's `--variant serial` (no MPI traffic: the task code alone, result
   encoding included) against a tiny C program that calls GMP's mpz_fac_ui
   over the same n (compiled here with `cc -O2 -lgmp`); target <= 1.1x. The
   C program also times the steps rankpool adds per task (a fresh mpz per n,
   the export to bytes), to show where a gap comes from.
2. `--backend cpp_int` (Boost.Multiprecision multiply loop) against GMP at
   n = 100000, and Python's math.factorial (the peers' task code).
3. Wire size: rankpool's `result_bytes` against sum(mpz_sizeinbase(n!, 256) + 1)
   (the binary magnitude plus a 1-byte tag); the peers' pickle size and the
   decimal size for comparison.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (PY, best, common_args, fmt, footer, log, rankpool_bin, ratio, run, run_json,  # noqa: E402
                      show, start, table)

C_SOURCE = r'''
/* fac_bench A B MODE: n! for n = A..B with GMP; prints wall and CPU seconds of the loop
   and the binary size sum(mpz_sizeinbase(n!, 256) + 1).
   MODE reuse  : one mpz_t for every n (mpz_fac_ui alone)
        fresh  : mpz_init / mpz_fac_ui / mpz_clear per n (a new result object per task)
        export1: fresh + mpz_export into a new buffer, 1-byte words (what a byte-wise encoder does)
        export8: fresh + mpz_export into a new buffer, 8-byte words (limb-wise) */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double clk(clockid_t id) { struct timespec t; clock_gettime(id, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s A B reuse|fresh|export1|export8\n", argv[0]); return 2; }
  unsigned long a = strtoul(argv[1], 0, 10), b = strtoul(argv[2], 0, 10);
  const char *mode = argv[3];
  int reuse = !strcmp(mode, "reuse"), word = !strcmp(mode, "export1") ? 1 : !strcmp(mode, "export8") ? 8 : 0;
  unsigned long long bytes = 0, sink = 0;
  mpz_t f;
  mpz_init(f);
  double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
  for (unsigned long n = a; n <= b; n++) {
    if (!reuse) mpz_init(f);
    mpz_fac_ui(f, n);
    size_t size = mpz_sizeinbase(f, 256);
    bytes += size + 1;
    if (word) {
      size_t count = 0;
      unsigned char *out = malloc(size + 16);
      mpz_export(out, &count, -1, word, word == 1 ? 0 : -1, 0, f);
      sink += out[0];
      free(out);
    }
    if (!reuse) mpz_clear(f);
  }
  double w1 = clk(CLOCK_MONOTONIC), c1 = clk(CLOCK_PROCESS_CPUTIME_ID);
  printf("{\"mode\": \"%s\", \"wall_s\": %.6f, \"cpu_s\": %.6f, \"bytes\": %llu, \"sink\": %llu}\n", mode, w1 - w0,
         c1 - c0, bytes, sink & 1);
  return 0;
}
'''

PY_SINGLE = r'''
import json, math, pickle, resource, sys, time
sys.set_int_max_str_digits(0) if hasattr(sys, 'set_int_max_str_digits') else None
n = int(sys.argv[1])
t0 = time.perf_counter(); x = math.factorial(n); t = time.perf_counter() - t0
print(json.dumps({'seconds': t, 'pickle_bytes': len(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)),
                  'binary_bytes': (x.bit_length() + 7) // 8, 'decimal_bytes': len(str(x))}))
'''


def compile_c(tmp):
    src = os.path.join(tmp, 'fac_bench.c')
    exe = os.path.join(tmp, 'fac_bench')
    with open(src, 'w') as f:
        f.write(C_SOURCE)
    cc = os.environ.get('CC', 'cc')
    subprocess.run([cc, '-O2', src, '-o', exe, '-lgmp'], check=True)
    return exe


def c_run(exe, a, b, mode):
    import json
    out, _, _ = run([exe, str(a), str(b), mode])
    return json.loads(out)


def main():
    ap = common_args(__doc__)
    ap.add_argument('--numbers', default=None, help='A-B (default 20000-26000; quick 20000-21000)')
    ap.add_argument('--big-n', type=int, default=100000, help='the single n of the cpp_int comparison')
    args = ap.parse_args()
    numbers = args.numbers or ('20000-21000' if args.quick else '20000-26000')
    rounds = args.repeat or (2 if args.quick else 3)
    a, b = (int(x) for x in numbers.split('-'))
    start(args, f'Per-task cost: factorial of n = {numbers}, one process')
    bin_ = rankpool_bin()
    tmp = tempfile.mkdtemp(prefix='rankpool-bench-')
    try:
        exe = compile_c(tmp)
        rp_cmd = [bin_, 'factorial', '--numbers', numbers, '--variant', 'serial', '--json']
        base_cmd = [bin_, 'factorial', '--numbers', '1', '--variant', 'serial', '--json']
        base_cpu = min(run_json(base_cmd)['master_cpu_seconds'] for _ in range(3))
        res = {'rankpool': [], 'reuse': [], 'fresh': [], 'export1': [], 'export8': []}
        rp_bytes = None
        for r in range(rounds):   # interleaved, so load changes hit every row alike
            log(f'per_task: round {r + 1} of {rounds}')
            rec = run_json(rp_cmd, timeout=3600)
            rp_bytes = rec['result_bytes']
            res['rankpool'].append({'wall_s': rec['wall_seconds'], 'cpu_s': rec['master_cpu_seconds'] - base_cpu})
            for mode in ('reuse', 'fresh', 'export1', 'export8'):
                res[mode].append(c_run(exe, a, b, mode))
            log('  ' + ', '.join(f'{k} {v[-1]["wall_s"]:.3f} s' for k, v in res.items()))
        c_bytes = res['reuse'][0]['bytes']
        ref_wall = best([x['wall_s'] for x in res['reuse']])
        ref_cpu = best([x['cpu_s'] for x in res['reuse']])
        labels = {
            'reuse': 'C: `mpz_fac_ui` alone (one `mpz_t` reused)',
            'fresh': 'C: + a fresh `mpz_t` per n (init/clear)',
            'export1': 'C: + `mpz_export` to bytes, 1-byte words',
            'export8': 'C: + `mpz_export` to bytes, 8-byte words',
            'rankpool': '**rankpool `factorial --variant serial`**',
        }
        rows = []
        for key in ('reuse', 'fresh', 'export1', 'export8', 'rankpool'):
            w = best([x['wall_s'] for x in res[key]])
            c = best([x['cpu_s'] for x in res[key]])
            rows.append([labels[key], fmt(w), ratio(w, ref_wall), fmt(c), ratio(c, ref_cpu),
                         fmt((w - ref_wall) / (b - a + 1) * 1e6)])
        print(f'### Compute: n = {numbers} ({b - a + 1} tasks), best of {rounds} interleaved rounds\n')
        print(table(['what', 'wall s', '÷ mpz_fac_ui (wall)', 'CPU s', '÷ mpz_fac_ui (CPU)',
                     'extra µs per task (wall)'], rows, 'lrrrrr'))
        rp_w = best([x['wall_s'] for x in res['rankpool']])
        rp_c = best([x['cpu_s'] for x in res['rankpool']])
        print(f'\nrankpool CPU is net of a 1-task run ({fmt(base_cpu)} s of start-up). Target ≤ 1.1×: '
              f'wall {fmt(rp_w / ref_wall)}×, CPU {fmt(rp_c / ref_cpu)}×: '
              f'**{"met" if rp_w / ref_wall <= 1.1 else "not met"}**.\n')

        # cpp_int vs GMP at one big n
        n = args.big_n
        log(f'per_task: n = {n}, gmp vs cpp_int vs Python')
        big = {}
        for backend in ('gmp', 'cpp_int'):
            cmd = [bin_, 'factorial', '--numbers', str(n), '--variant', 'serial', '--backend', backend, '--json']
            recs = [run_json(cmd) for _ in range(rounds)]
            big[backend] = (best([x['wall_seconds'] for x in recs]), recs[0]['result_bytes'], show(cmd))
        c_big = best([c_run(exe, n, n, 'reuse')['wall_s'] for _ in range(rounds)])
        import json
        py_cmd = [PY, '-c', PY_SINGLE, str(n)]
        py_big = [json.loads(run(py_cmd)[0]) for _ in range(rounds)]
        py_s = best([x['seconds'] for x in py_big])
        print(f'### One big task: n = {n:,} (best of {rounds})\n')
        print(table(['what', 'seconds', '÷ rankpool gmp'], [
            ['C `mpz_fac_ui`', fmt(c_big), ratio(c_big, big['gmp'][0])],
            ['rankpool `--backend gmp`', fmt(big['gmp'][0]), '1×'],
            ['rankpool `--backend cpp_int`', fmt(big['cpp_int'][0]), ratio(big['cpp_int'][0], big['gmp'][0])],
            ["Python `math.factorial` (the peers' task)", fmt(py_s), ratio(py_s, big['gmp'][0])],
        ], 'lrr'))
        print()

        # wire size
        pyb = py_big[0]
        print('### Wire size of results\n')
        print(table(['results', 'rankpool `result_bytes`', 'Σ (mpz_sizeinbase(n!,256) + 1)', 'rankpool ÷ binary',
                     'peers (pickle)', 'decimal'], [
            [f'n = {numbers}', f'{rp_bytes:,}', f'{c_bytes:,}', ratio(rp_bytes, c_bytes, 4), '–', '–'],
            [f'n = {n:,}', f'{big["gmp"][1]:,}', f'{pyb["binary_bytes"] + 1:,}',
             ratio(big['gmp'][1], pyb['binary_bytes'] + 1, 4), f'{pyb["pickle_bytes"]:,}',
             f'{pyb["decimal_bytes"]:,}'],
        ], 'lrrrrr'))
        ok = rp_bytes == c_bytes
        print(f'\nTarget "wire size of a result = its binary size": **{"met" if ok else "not met"}** '
              '(the +1 is the result\'s encoding tag byte).\n')
        print('### Commands\n')
        print(f'- rankpool: `{show(rp_cmd)}` (and `{show(base_cmd)}` for the start-up CPU)')
        print(f'- C: `cc -O2 fac_bench.c -o fac_bench -lgmp; ./fac_bench {a} {b} reuse|fresh|export1|export8` '
              '(source inside `hpc/bench/lib/per_task.py`)')
        for backend in ('gmp', 'cpp_int'):
            print(f'- `{big[backend][2]}`')
        print(f'- Python: `/usr/bin/python3 -c "import math; math.factorial({n})"` (timed inside)')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    footer()


if __name__ == '__main__':
    main()
