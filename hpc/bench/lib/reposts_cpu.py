"""reposts_cpu.sh: the reposts client's CPU per 200-repost page, and the embedded server's pages per second.

Client: `rankpool reposts --variant serial` (no mpirun: one process does every page) against
`rankpool mock-weibo --latency-ms 0`, 10 posts x 10 pages of 200 reposts (~250 kB a page), output
to a file. Its CPU is wait4's user + sys of the whole command (and of any child it reaps: Open
MPI's singleton start-up no longer runs an `orted`), divided by the pages: nothing subtracted. Beside it the
same pages through Python (`lib/reposts_py_client.py`: urllib, json.loads, json.dumps per repost,
same paging, same output), measured the same way. A one-page run of each shows the start-up share;
"after start-up" is (CPU - one-page CPU) / (pages - 1). Target: rankpool <= 1 ms per page.

Server: `lib/reposts_load.py` clients (one kept-alive connection each, http.client) request the same
100 pages over and over; pages per second of wall time, and pages per second of the server's own
CPU (utime + stime from /proc/PID/stat). With `taskset` and 2+ CPUs the server is pinned to one CPU
and the clients to the others, so the wall figure is one core's. Target: >= 2000 pages/s.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (LIB, PY, TOKEN_ENV, Mock, common_args, fmt, footer, load_str, log, median,  # noqa: E402
                      rankpool_bin, ratio, run, show, start, table)

FIRST_MID = 3664072912104801


def measured(cmd, tmp, env):
    """wait4 figures of cmd (lib/rusage_exec.py) and its stdout."""
    usage_file = os.path.join(tmp, 'usage.json')
    out, _, _ = run([PY, os.path.join(LIB, 'rusage_exec.py'), usage_file, *cmd], env=env)
    with open(usage_file) as f:
        return json.load(f), out


def client_rows(bin_, url, tmp, posts, repeat):
    mids = os.path.join(tmp, 'mids.txt')
    with open(mids, 'w') as f:
        f.write(''.join(f'{FIRST_MID + i}\n' for i in range(posts)))
    one = os.path.join(tmp, 'one.txt')
    with open(one, 'w') as f:
        f.write(f'{FIRST_MID}\n')
    out = os.path.join(tmp, 'out.jsonl')
    clients = {
        'rankpool': lambda mids_file, max_pages: [bin_, 'reposts', '--mids-file', mids_file, '--api-base', url,
                                                  '--variant', 'serial', '--max-pages', str(max_pages),
                                                  '--out', out, '--json'],
        'python': lambda mids_file, max_pages: [PY, os.path.join(LIB, 'reposts_py_client.py'), url, mids_file, out,
                                                '--max-pages', str(max_pages)],
    }
    rows, cmds, lines = {}, [], {}
    for name, make in clients.items():
        full, startup = [], []
        for _ in range(repeat):
            usage, stdout = measured(make(mids, 10), tmp, TOKEN_ENV)
            pages = [json.loads(l) for l in stdout.splitlines() if l.startswith('{')][-1]['pages']
            full.append(usage['cpu'])
            with open(out, 'rb') as f:
                lines[name] = f.read().count(b'\n')
            usage1, _ = measured(make(one, 1), tmp, TOKEN_ENV)
            startup.append(usage1['cpu'])
        rows[name] = {'pages': pages, 'cpu': min(full), 'cpu_median': median(full), 'startup': min(startup)}
        log(f'reposts_cpu: {name}: {pages} pages, CPU best {min(full):.3f} s, one page {min(startup):.3f} s')
        cmds.append(f'`{show(make(mids, 10), TOKEN_ENV)}` and, for the start-up, `{show(make(one, 1), TOKEN_ENV)}`')
    return rows, cmds, lines


def server_rows(bin_, requests, client_counts):
    pin = shutil.which('taskset') and (os.cpu_count() or 1) >= 2
    rows, cmds = [], []
    for clients in client_counts:
        mock = Mock(bin_, cpu=0 if pin else None)
        try:
            warm = [PY, os.path.join(LIB, 'reposts_load.py'), mock.url, '100']
            run(warm)   # renders the 100 pages once
            cpu0 = mock.cpu_seconds()
            load = [PY, os.path.join(LIB, 'reposts_load.py'), mock.url, str(requests)]
            if pin:
                load = ['taskset', '-c', '1-' + str((os.cpu_count() or 2) - 1)] + load
            procs = [subprocess.Popen(load, stdout=subprocess.PIPE, text=True) for _ in range(clients)]
            results = [json.loads(p.communicate(timeout=900)[0]) for p in procs]
            server_cpu = mock.cpu_seconds() - cpu0
        finally:
            mock.stop()
        pages = sum(r['pages'] for r in results)
        wall = max(r['seconds'] for r in results)
        page_bytes = sum(r['bytes'] for r in results) / pages
        rows.append([clients, pages, fmt(page_bytes / 1000), fmt(wall), fmt(pages / wall), fmt(server_cpu),
                     fmt(pages / server_cpu) if server_cpu > 0 else '–'])
        log(f'reposts_cpu: server, {clients} client(s): {pages / wall:.0f} pages/s wall, '
            f'{server_cpu:.2f} s server CPU')
        cmds.append(f'server `{show(mock.cmd)}`; {clients} × `{show(load)}` after one warm-up pass of 100 pages')
    return rows, cmds, pin


def main():
    ap = common_args(__doc__)
    ap.add_argument('--posts', type=int, default=None, help='posts of 10 pages each (default 10; quick 3)')
    ap.add_argument('--requests', type=int, default=None, help='requests per load client (default 3000; quick 500)')
    ap.add_argument('--clients', default='1,2', help='load clients at once, a list (default 1,2)')
    args = ap.parse_args()
    posts = args.posts or (3 if args.quick else 10)
    requests = args.requests or (500 if args.quick else 3000)
    repeat = args.repeat or (1 if args.quick else 3)
    start(args, f'Reposts client CPU per page ({posts} posts × 10 pages of 200) and mock-weibo pages per second')
    bin_ = rankpool_bin()
    with tempfile.TemporaryDirectory(prefix='rankpool-bench-') as tmp:
        mock = Mock(bin_)
        try:
            clients, client_cmds, lines = client_rows(bin_, mock.url, tmp, posts, repeat)
        finally:
            mock.stop()
        client_load = load_str()   # CPU time is inflated by contention: say how busy the machine was
        client_cmds.insert(0, f'server: `{show(mock.cmd)}`')
    rp, py = clients['rankpool'], clients['python']
    rows = []
    for name, r in (('rankpool `--variant serial`', rp), ('Python urllib + json', py)):
        per_page = r['cpu'] / r['pages']
        after = (r['cpu'] - r['startup']) / max(r['pages'] - 1, 1)
        rows.append([name, r['pages'], fmt(r['cpu']), fmt(r['cpu_median']), fmt(per_page * 1000),
                     fmt(r['startup'] * 1000), fmt(after * 1000)])
    print(f'Client CPU (user + sys, wait4), best of {repeat}; every output line checked: rankpool wrote '
          f'{lines["rankpool"]} reposts, Python {lines["python"]}.\n')
    print(table(['client', 'pages', 'CPU s (best)', 'CPU s (median)', 'ms per page', 'one-page run, ms',
                 'ms per page after start-up'], rows, 'lrrrrrr'))
    rp_page = rp['cpu'] / rp['pages']
    print(f'\nPython ÷ rankpool per page: {ratio(py["cpu"] / py["pages"], rp_page)} (whole runs), '
          f'{ratio((py["cpu"] - py["startup"]) / (py["pages"] - 1), (rp["cpu"] - rp["startup"]) / (rp["pages"] - 1))}'
          f' (after start-up). Target rankpool ≤ 1 ms per page: '
          f'**{"met" if rp_page <= 0.001 else "not met"}** ({fmt(rp_page * 1000)} ms, whole run, best of {repeat}; '
          f'median {fmt(rp["cpu_median"] / rp["pages"] * 1000)} ms; load average after the client runs '
          f'{client_load}).\n')

    server, server_cmds, pinned = server_rows(bin_, requests, [int(c) for c in args.clients.split(',')])
    where = ('server pinned to CPU 0 (`taskset`), clients on the others' if pinned
             else 'server and clients share the CPUs (no taskset or one CPU)')
    print(f'### Embedded server (`mock-weibo --latency-ms 0`), {where}\n')
    print(table(['load clients', 'pages', 'kB per page', 'wall s', 'pages/s (wall)', 'server CPU s',
                 'pages per server CPU second'], server, 'rrrrrrr'))
    best = max(float(r[4].replace(',', '')) for r in server)
    print(f'\nTarget ≥ 2000 pages/s on one core: **{"met" if best >= 2000 else "not met"}** '
          f'(best {fmt(best)} pages/s wall).\n')
    print('Commands:\n')
    for c in client_cmds + server_cmds:
        print(f'- {c}')
    footer()


if __name__ == '__main__':
    main()
