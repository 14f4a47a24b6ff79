"""startup.sh: end-to-end start-up, `mpirun -np 3 rankpool factorial --upto 100`
against the seed's Python script end to end (interpreter, pool, work), with
hyperfine when installed (else a plain timing loop), plus:

- RANKPOOL_NO_TUNING=1: rankpool without its automatic OMPI_MCA_pml=ob1 on one
  node, to show what that MCA setting is worth;
- floors: `mpirun -np 3 /bin/true` (the launcher alone) and an MPI_Init +
  MPI_Finalize C program (when mpicc is there), i.e. what any MPI program pays;
- mpi4py.futures on the same 100 factorials.
"""
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import PEERS, PY, ROOT, common_args, fmt, footer, log, rankpool_bin, ratio, rel, start, table  # noqa: E402

HELLO = '#include <mpi.h>\nint main(int c, char **v) { MPI_Init(&c, &v); MPI_Finalize(); return 0; }\n'


def commands(bin_, hello):
    rp = rel(bin_)
    seed = rel(os.path.join(PEERS, 'seed_pool.py'))
    m4 = rel(os.path.join(PEERS, 'mpi4py_futures.py'))
    cmds = [
        ('rankpool, mpirun -np 3', f'mpirun -np 3 {rp} factorial --upto 100'),
        ('rankpool, mpirun -np 3, RANKPOOL_NO_TUNING=1', f'RANKPOOL_NO_TUNING=1 mpirun -np 3 {rp} factorial --upto 100'),
        ('rankpool, mpirun -np 3, PMIX_MCA_gds=hash', f'PMIX_MCA_gds=hash mpirun -np 3 {rp} factorial --upto 100'),
        ('rankpool, no mpirun (serial singleton)', f'{rp} factorial --upto 100'),
        ('rankpool, no mpirun, RANKPOOL_NO_TUNING=1', f'RANKPOOL_NO_TUNING=1 {rp} factorial --upto 100'),
        ('seed script: seed_pool.py map, Pool(2)',
         f'{PY} {seed} factorial --variant map --pool 2 --upto 100 --repeat 1 --number 1 --json'),
        ('seed minimal: Pool(2).map(factorial, 1..100)',
         f'{PY} -c ' + shlex.quote('import multiprocessing as m, math; p = m.Pool(2); '
                                   'p.map(math.factorial, range(1, 101)); p.close(); p.join()')),
        ('mpi4py.futures, mpirun -np 3',
         f'mpirun -np 3 {PY} -m mpi4py.futures {m4} factorial --variant map --upto 100 --repeat 1 --number 1 --json'),
        ('floor: mpirun -np 3 /bin/true', 'mpirun -np 3 /bin/true'),
    ]
    if hello:
        cmds.append(('floor: MPI_Init+MPI_Finalize (C), pml ob1', f'mpirun -np 3 --mca pml ob1 {hello}'))
        cmds.append(('floor: MPI_Init+MPI_Finalize (C), default pml', f'mpirun -np 3 {hello}'))
        cmds.append(('floor: MPI_Init+MPI_Finalize (C), pml ob1, PMIX_MCA_gds=hash',
                     f'PMIX_MCA_gds=hash mpirun -np 3 --mca pml ob1 {hello}'))
    return cmds


def with_hyperfine(cmds, runs, warmup, tmp):
    md = os.path.join(tmp, 'startup.md')
    js = os.path.join(tmp, 'startup.json')
    argv = ['hyperfine', '--style', 'basic', '--warmup', str(warmup), '--runs', str(runs),
            '--export-markdown', md, '--export-json', js]
    for name, cmd in cmds:
        argv += ['-n', name, cmd]
    subprocess.run(argv, check=True, stdout=sys.stderr)
    with open(js) as f:
        results = json.load(f)['results']
    with open(md) as f:
        markdown = f.read()
    return {r['command']: {'mean': r['mean'], 'stddev': r['stddev'] or 0.0, 'min': r['min'],
                           'median': r['median']} for r in results}, markdown


def with_loop(cmds, runs, warmup):
    out = {}
    for name, cmd in cmds:
        times = []
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        out[name] = {'mean': statistics.mean(times), 'stddev': statistics.stdev(times) if len(times) > 1 else 0.0,
                     'min': min(times), 'median': statistics.median(times)}
        log(f'  {name}: {out[name]["mean"] * 1e3:.1f} ms')
    return out, None


def main():
    ap = common_args(__doc__)
    ap.add_argument('--runs', type=int, default=None, help='timed runs per command (default 20; quick 5)')
    args = ap.parse_args()
    runs = args.runs or (5 if args.quick else 20)
    warmup = 1 if args.quick else 3
    start(args, 'Start-up: 100 factorials end to end')
    bin_ = rankpool_bin()
    os.chdir(ROOT)   # the commands are relative to the repo root
    tmp = tempfile.mkdtemp(prefix='rankpool-bench-')
    try:
        hello = None
        if shutil.which('mpicc'):
            src = os.path.join(tmp, 'mpi_hello.c')
            with open(src, 'w') as f:
                f.write(HELLO)
            exe = os.path.join(tmp, 'mpi_hello')
            if subprocess.run(['mpicc', '-O2', src, '-o', exe]).returncode == 0:
                hello = exe
        cmds = commands(bin_, hello)
        if shutil.which('hyperfine'):
            res, markdown = with_hyperfine(cmds, runs, warmup, tmp)
            tool = f'hyperfine {subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.split()[-1]}'
        else:
            log('startup: hyperfine not installed; timing with a plain loop')
            res, markdown = with_loop(cmds, runs, warmup)
            tool = 'a plain timing loop (hyperfine not installed)'
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ref = res[cmds[0][0]]['mean']
    rows = []
    for name, cmd in cmds:
        r = res[name]
        shown = cmd.replace(hello, 'mpi_hello') if hello else cmd
        rows.append([name, f'`{shown}`', fmt(r['mean'] * 1e3), fmt(r['stddev'] * 1e3), fmt(r['min'] * 1e3),
                     ratio(r['mean'], ref)])
    print(f'Timed with {tool}, {runs} runs after {warmup} warm-up; shell mode (env assignments need it).\n')
    print(table(['what', 'command', 'mean ms', '± σ ms', 'min ms', '÷ rankpool (mpirun -np 3)'], rows, 'llrrrr'))
    print()
    names = [c[0] for c in cmds]
    tuned, untuned = res[names[0]]['mean'], res[names[1]]['mean']
    seed = res['seed script: seed_pool.py map, Pool(2)']['mean']
    gds = res['rankpool, mpirun -np 3, PMIX_MCA_gds=hash']['mean']
    print('### Findings\n')
    print(f'- The MCA setting: without it (`RANKPOOL_NO_TUNING=1`) the same run takes {fmt(untuned * 1e3)} ms, '
          f'{ratio(untuned, tuned)} the tuned {fmt(tuned * 1e3)} ms; rankpool sets `OMPI_MCA_pml=ob1` itself '
          'when every rank is on one node (an explicit `OMPI_MCA_pml` / `--mca pml` wins).')
    met = tuned <= seed
    print(f'- Against the seed script ({fmt(seed * 1e3)} ms): rankpool {fmt(tuned * 1e3)} ms, '
          f'{ratio(tuned, seed)}: **{"met" if met else "not met"}**.')
    print(f'- Not shipped yet: `PMIX_MCA_gds=hash` (PMIx\'s hash store instead of the shared-memory one) gives '
          f'{fmt(gds * 1e3)} ms, {ratio(gds, tuned)} the tuned run.')
    floor = res['floor: mpirun -np 3 /bin/true']['mean']
    line = f'- Floors: `mpirun -np 3 /bin/true` alone takes {fmt(floor * 1e3)} ms'
    if hello:
        h = res['floor: MPI_Init+MPI_Finalize (C), pml ob1']['mean']
        line += (f'; an empty MPI program (MPI_Init + MPI_Finalize, pml ob1) {fmt(h * 1e3)} ms, so rankpool\'s own '
                 f'share is {fmt((tuned - h) * 1e3)} ms')
    print(line + '.')
    if markdown:
        print('\n<details><summary>hyperfine --export-markdown</summary>\n')
        print(markdown.replace(hello, 'mpi_hello') if hello else markdown)
        print('</details>')
    footer()


if __name__ == '__main__':
    main()
