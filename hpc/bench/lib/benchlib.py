"""Shared helpers for the hpc/bench/ scripts (stdlib only, /usr/bin/python3).

Every benchmark prints Markdown on stdout (a machine header, its tables, the
exact commands behind each row) and progress on stderr. Timings are taken
side by side in one run: rankpool and its peers under the same load.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(BENCH))
PEERS = os.path.join(BENCH, 'peers')
LIB = os.path.join(BENCH, 'lib')
# Debian's /usr/bin/python3 is the one with mpi4py; BENCH_PYTHON names another (a machine whose
# mpi4py lives in a virtual environment).
PY = os.environ.get('BENCH_PYTHON', '/usr/bin/python3')

# What hpc/env.sh sets, for a run that did not come through the .sh wrapper.
ENV_DEFAULTS = {
    'OMPI_ALLOW_RUN_AS_ROOT': '1',
    'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM': '1',
    'OMPI_MCA_rmaps_base_oversubscribe': '1',
    'OMPI_MCA_orte_base_help_aggregate': '0',
}
for _k, _v in ENV_DEFAULTS.items():
    os.environ.setdefault(_k, _v)


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def rankpool_bin():
    path = os.environ.get('RANKPOOL_BIN') or os.path.join(ROOT, 'build', 'release', 'src', 'cli', 'rankpool')
    if not os.access(path, os.X_OK):
        sys.exit(f'bench: no rankpool binary at {path}; build it first '
                 '(cmake --preset release && cmake --build --preset release) or set RANKPOOL_BIN')
    return path


def rel(path):
    """A path as the commands in the tables show it (relative to the repo root)."""
    try:
        r = os.path.relpath(path, ROOT)
    except ValueError:
        return path
    return path if r.startswith('..') else r


def show(cmd, env=None):
    """A command line as a user would type it from the repo root."""
    prefix = ''.join(f'{k}={shlex.quote(v)} ' for k, v in (env or {}).items())
    return prefix + ' '.join(shlex.quote(rel(c)) if c.startswith(ROOT) else shlex.quote(c) for c in cmd)


def run(cmd, env=None, timeout=900, check=True, cwd=None):
    """Runs cmd; returns (stdout, stderr, seconds). Raises on failure when check."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=full_env, cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if check and proc.returncode != 0:
        raise RuntimeError(f'command failed ({proc.returncode}): {show(cmd, env)}\n{proc.stderr[-3000:]}')
    return proc.stdout, proc.stderr, elapsed


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('{'):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


def run_json(cmd, env=None, timeout=900):
    """Runs a command that prints one JSON object (rankpool --json); returns it."""
    out, err, _ = run(cmd, env=env, timeout=timeout)
    records = json_lines(out)
    if not records:
        raise RuntimeError(f'no JSON from: {show(cmd, env)}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}')
    return records[-1]


def run_json_retry(cmd, env=None, timeout=900, tries=2):
    """run_json, tried again (with a note on stderr) when the command fails: on a
    shared machine another user's clean-up may kill a run's processes."""
    for attempt in range(1, tries + 1):
        try:
            return run_json(cmd, env=env, timeout=timeout)
        except RuntimeError as e:
            if attempt == tries:
                raise
            log(f'bench: run failed, trying again ({attempt}/{tries - 1}): {str(e)[:600]}')
    raise AssertionError('unreachable')


def mpirun(np_, *args):
    return ['mpirun', '-np', str(np_), *args]


def per_rank_usage(np_, cmd, env=None, timeout=900):
    """Runs `mpirun -np N cmd` with every rank under lib/rusage_exec.py (wait4's
    figures, as /usr/bin/time, but CPU to the microsecond); returns
    (stdout, {rank: {'user','sys','cpu','wall','maxrss_kb'}})."""
    with tempfile.TemporaryDirectory(prefix='rankpool-bench-') as tmp:
        wrapped = mpirun(np_, 'sh', '-c', f'exec {PY} {LIB}/rusage_exec.py "$0/rank.$OMPI_COMM_WORLD_RANK" "$@"',
                         tmp, *cmd)
        out, _, _ = run(wrapped, env=env, timeout=timeout)
        usage = {}
        for rank in range(np_):
            with open(os.path.join(tmp, f'rank.{rank}')) as f:
                usage[rank] = json.load(f)
    return out, usage


def master_rss_kb(np_, cmd, env=None, timeout=900):
    """Peak RSS (KiB) of rank 0 only, as `/usr/bin/time -f %M` around rank 0."""
    with tempfile.TemporaryDirectory(prefix='rankpool-bench-') as tmp:
        script = ('if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then exec /usr/bin/time -f "%M" -o "$0/rss" "$@"; '
                  'else exec "$@"; fi')
        out, _, _ = run(mpirun(np_, 'sh', '-c', script, tmp, *cmd), env=env, timeout=timeout)
        with open(os.path.join(tmp, 'rss')) as f:
            rss = int(f.read().split()[-1])
    return out, rss


def load():
    return os.getloadavg()


def load_str():
    a, b, c = load()
    return f'{a:.2f} / {b:.2f} / {c:.2f}'


def wait_quiet(threshold, max_wait):
    """Waits (up to max_wait s) until the 1-minute load drops below threshold."""
    if threshold <= 0:
        return
    t0 = time.time()
    while load()[0] >= threshold and time.time() - t0 < max_wait:
        log(f'bench: load {load_str()} >= {threshold}; waiting for a quieter machine ...')
        time.sleep(10)


def ompi_version():
    try:
        out, _, _ = run(['mpirun', '--version'], check=False)
        return out.splitlines()[0].strip()
    except Exception:  # noqa: BLE001
        return 'unknown'


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def os_name():
    try:
        with open('/etc/os-release') as f:
            for line in f:
                if line.startswith('PRETTY_NAME='):
                    return line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def git_rev():
    try:
        out, _, _ = run(['git', 'rev-parse', '--short', 'HEAD'], check=False)
        dirty, _, _ = run(['git', 'status', '--porcelain', '--untracked-files=no'], check=False)
        return out.strip() + (' (+ uncommitted changes)' if dirty.strip() else '')
    except Exception:  # noqa: BLE001
        return 'unknown'


def stale_munge():
    """A munge socket without a munge daemon (left by a local Slurm test) makes
    every PMIx start-up retry munge for ~2.4 s; say so in the results."""
    sock = '/run/munge/munge.socket.2'
    psec = os.environ.get('PMIX_MCA_psec', '')
    if psec and (psec.startswith('^') or 'munge' not in psec):
        return None   # munge is off for PMIx: nothing to wait for
    if not os.path.exists(sock):
        return None
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sock)
        return None
    except OSError:
        return (f'{sock} exists but nothing answers on it: every MPI start-up here waits ~2.4 s retrying munge '
                '(PMIx psec); `PMIX_MCA_psec=native` avoids it. Start-up times in this run are off.')
    finally:
        s.close()


def header(title, command):
    print(f'## {title}\n')
    print(f'- command: `{command}`')
    print(f'- machine: {platform.node()}, {os.cpu_count()} CPUs ({cpu_model()}), {os_name()}, {ompi_version()}')
    print(f'- rankpool: `{rel(rankpool_bin())}`, git {git_rev()}')
    print(f'- date: {datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}; load average (1/5/15 min) at start: '
          f'{load_str()}')
    warning = stale_munge()
    if warning:
        print(f'- **warning**: {warning}')
    print()
    sys.stdout.flush()


def footer():
    print(f'\nload average at end: {load_str()}\n')
    sys.stdout.flush()


def table(headers, rows, align=None):
    """A Markdown table; align is a string of 'l'/'r' per column."""
    align = align or 'l' + 'r' * (len(headers) - 1)
    lines = ['| ' + ' | '.join(headers) + ' |',
             '|' + '|'.join(':---' if a == 'l' else '---:' for a in align) + '|']
    for row in rows:
        lines.append('| ' + ' | '.join('' if c is None else str(c) for c in row) + ' |')
    return '\n'.join(lines)


def fmt(x, digits=3):
    """A number with `digits` significant digits, no exponent for usual ranges."""
    if x is None:
        return '–'
    if isinstance(x, str):
        return x
    if x == 0:
        return '0'
    ax = abs(x)
    if ax >= 10 ** digits:
        return f'{x:,.0f}'
    decimals = max(0, digits - 1 - int(f'{ax:e}'.split('e')[1]))
    return f'{x:.{decimals}f}'


def ratio(a, b, digits=3):
    if a is None or b is None or b == 0:
        return '–'
    return fmt(a / b, digits) + '×'


def pct(x):
    return '–' if x is None else f'{100 * x:.1f} %'


def best(values):
    return min(values) if values else None


def median(values):
    return statistics.median(values) if values else None


def common_args(description, quick_help='a < 30 s run'):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--quick', action='store_true', help=quick_help)
    p.add_argument('--repeat', type=int, default=None, help='runs per row (best and median of them)')
    p.add_argument('--wait-quiet', type=float, default=0, metavar='LOAD',
                   help='first wait (up to 5 min) until the 1-minute load average is below LOAD')
    return p


def start(args, title):
    rankpool_bin()
    wait_quiet(args.wait_quiet, 300)
    header(title, os.environ.get('BENCH_COMMAND') or
           ' '.join(shlex.quote(a) for a in [rel(os.path.abspath(sys.argv[0])), *sys.argv[1:]]))


def _proc_stat_busy():
    """Busy CPU seconds of the whole machine so far (all CPUs), from /proc/stat."""
    with open('/proc/stat') as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields[7] if len(fields) > 7 else 0)
    return busy / os.sysconf('SC_CLK_TCK')


class CpuMeter:
    """Around a run: wall seconds, CPU of our child processes (the benchmark),
    and CPU that other processes on the machine took meanwhile (from /proc/stat),
    to tell a slow row from a busy machine."""

    def __enter__(self):
        import resource
        self._r = resource
        self.t0 = time.perf_counter()
        self.busy0 = _proc_stat_busy()
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        s = resource.getrusage(resource.RUSAGE_SELF)
        self.ours0 = c.ru_utime + c.ru_stime + s.ru_utime + s.ru_stime
        return self

    def __exit__(self, *exc):
        r = self._r
        self.wall = time.perf_counter() - self.t0
        c = r.getrusage(r.RUSAGE_CHILDREN)
        s = r.getrusage(r.RUSAGE_SELF)
        self.ours = c.ru_utime + c.ru_stime + s.ru_utime + s.ru_stime - self.ours0
        self.others = max(0.0, _proc_stat_busy() - self.busy0 - self.ours)
        return False

    def others_share(self):
        """Other processes' CPU as a share of all CPUs over the run."""
        return self.others / (self.wall * (os.cpu_count() or 1))


# What a reposts client run against Mock needs in its environment: the mock takes any non-empty token.
TOKEN_ENV = {'WEIBO_ACCESS_TOKEN': 'bench-token'}


class Mock:
    """`rankpool mock-weibo` on a free port (optionally pinned to one CPU), its URL, its CPU, stop()."""

    def __init__(self, bin_, latency_ms=0, cpu=None):
        self.cmd = [bin_, 'mock-weibo', '--port', '0', '--latency-ms', str(latency_ms)]
        if cpu is not None:
            self.cmd = ['taskset', '-c', str(cpu)] + self.cmd
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith('http'):
            self.stop()
            raise RuntimeError(f'mock-weibo printed no URL: {self.url!r}')

    def cpu_seconds(self):
        with open(f'/proc/{self.proc.pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
