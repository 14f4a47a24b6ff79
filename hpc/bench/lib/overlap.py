"""overlap.sh: map_async followed by X seconds of master-side work should end in
about max(X, map time), not X + map time.

Runs hpc/bench/overlap/overlap.cpp (a program on rankpool's library) on 3
ranks. Its binary: $OVERLAP_BIN, else build/release/hpc/bench/overlap/ (when
the directory is part of rankpool's build), else built here on its own against
`cmake --install build/release` into build/bench-overlap/.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (BENCH, ROOT, common_args, fmt, footer, json_lines, log, mpirun, rankpool_bin,  # noqa: E402
                      rel, run, show, start, table)


def overlap_bin():
    env = os.environ.get('OVERLAP_BIN')
    if env:
        return env
    in_tree = os.path.join(ROOT, 'build', 'release', 'hpc', 'bench', 'overlap', 'rankpool_bench_overlap')
    if os.access(in_tree, os.X_OK):
        return in_tree
    base = os.path.join(ROOT, 'build', 'bench-overlap')
    prefix, build = os.path.join(base, 'prefix'), os.path.join(base, 'build')
    release = os.path.join(ROOT, 'build', 'release')
    log(f'overlap: building the benchmark against `cmake --install {rel(release)}` in {rel(base)}/')
    quiet = {'stdout': subprocess.DEVNULL}
    subprocess.run(['cmake', '--install', release, '--prefix', prefix], check=True, **quiet)
    gen = ['-G', 'Ninja'] if subprocess.run(['which', 'ninja'], capture_output=True).returncode == 0 else []
    subprocess.run(['cmake', '-S', os.path.join(BENCH, 'overlap'), '-B', build, *gen,
                    f'-DCMAKE_PREFIX_PATH={prefix}', '-DCMAKE_BUILD_TYPE=RelWithDebInfo'], check=True, **quiet)
    subprocess.run(['cmake', '--build', build], check=True, **quiet)
    return os.path.join(build, 'rankpool_bench_overlap')


def main():
    ap = common_args(__doc__)
    ap.add_argument('--tasks', type=int, default=None, help='sleep tasks in the map (default 20; quick 8)')
    ap.add_argument('--seconds', type=float, default=None, help='seconds per task (default 0.1; quick 0.05)')
    ap.add_argument('--busy', default=None, help='X values, comma list (default: 0.5, 1, 2 x the map time)')
    args = ap.parse_args()
    tasks = args.tasks or (8 if args.quick else 20)
    seconds = args.seconds or (0.05 if args.quick else 0.1)
    map_est = tasks * seconds / 2
    busy = args.busy or ','.join(f'{f * map_est:g}' for f in (0.5, 1, 2))
    repeat = args.repeat or (1 if args.quick else 3)
    start(args, 'Overlap: map_async, then master-side work, then get()')
    rankpool_bin()
    exe = overlap_bin()
    cmd = mpirun(3, exe, '--tasks', str(tasks), '--seconds', str(seconds), '--busy', busy, '--repeat', str(repeat))
    out, _, _ = run(cmd, timeout=1800)
    recs = json_lines(out)
    rows = []
    for r in recs:
        rows.append([r['mode'], fmt(r['busy_s']), fmt(r['map_s']), fmt(max(r['busy_s'], r['map_s'])),
                     fmt(r['busy_s'] + r['map_s']), fmt(r['total_s']), fmt(r['over_max']) + '×',
                     fmt(r['over_sum']) + '×'])
    print(f'{tasks} tasks of {seconds} s on {recs[0]["workers"]} workers (3 ranks); X = master-side CPU work; '
          f'best of {repeat}.\n')
    print(table(['after `map_async`', 'X s', 'map alone s', 'max(X, map)', 'X + map', 'measured s',
                 '÷ max (1 = overlap)', '÷ sum (1 = none)'], rows, 'lrrrrrrr'))
    print()
    plain = [r for r in recs if r['mode'] == 'get only']
    worst = max(r['over_max'] for r in plain)
    print('### Target\n')
    print(f'- `map_async`, then X s of work, then `get()`: worst {fmt(worst)}× max(X, map time) '
          f'(target ≈ 1×): **{"met" if worst <= 1.1 else "not met"}**')
    print()
    print('### Command\n')
    print(f'- `{show(cmd).replace(exe, rel(exe))}` (source: `hpc/bench/overlap/overlap.cpp`)')
    footer()


if __name__ == '__main__':
    main()
