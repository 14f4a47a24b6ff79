#!/usr/bin/env bash
# seed_experiments.sh — the two experiments of the 2014 post we rebuild (docs/seed.md), side by side:
# rankpool (`rankpool compare`), Python's multiprocessing.Pool (peers/seed_pool.py) and
# mpi4py.futures (peers/mpi4py_futures.py) on the same factorials (1..100; pools 1,2,4) and the
# same embedded API server (`rankpool mock-weibo`, 800 ms a page as the seed saw; pools 1,2,4,10).
#
#   hpc/bench/seed_experiments.sh [--quick] [--latency-ms MS] [--reposts-repeat N]
#                                 [--factorial-repeat N] [--out DIR] [--replot]
#
# Writes DIR/factorial.md and DIR/reposts.md (one table each, the command at the top),
# DIR/factorial_vs_pool.png, DIR/reposts_vs_pool.png, DIR/timeline.png (Gantt chart of one
# 5-rank reposts apply_async run, from its Chrome trace) and DIR/raw/ (every tool's own output).
# DIR: hpc/bench/results by default, hpc/bench/results/quick with --quick.
# About 6.5 minutes on 2 cores. The 800 ms reposts cells are best of 1 (--reposts-repeat 1):
# three runs of each would not fit in 10 minutes. Factorial cells are best of 3.
# --quick: 100 ms a page, about 1 minute. --replot: measure nothing; remake the tables and
# PNGs from DIR/raw (raw/meta.json keeps the command and settings that measured).
# Needs the release build (cmake --preset release && cmake --build --preset release),
# /usr/bin/python3 with mpi4py (python3-mpi4py) and gnuplot.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/hpc/env.sh"
command_line="hpc/bench/$(basename "$0")${*:+ $*}"

quick=0 replot=0 latency= reposts_repeat=1 factorial_repeat=3 out=
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --replot) replot=1 ;;
    --latency-ms) latency=$2; shift ;;
    --reposts-repeat) reposts_repeat=$2; shift ;;
    --factorial-repeat) factorial_repeat=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "seed_experiments.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if ((quick)); then latency=${latency:-100}; out=${out:-$here/results/quick}; fi
latency=${latency:-800}
out=${out:-$here/results}
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
raw=$out/raw

PY=/usr/bin/python3                       # Debian's python3: it has mpi4py (the PATH one may not)
RANKPOOL=$root/build/release/src/cli/rankpool
PEERS=$here/peers
PLOTS=$here/plots
MID=3664072912104801
UPTO=100
FACT_POOLS=(1 2 4)
REPOSTS_POOLS=(1 2 4 10)
# Given to the mock (it then accepts only this token) and to every client; never printed.
export WEIBO_ACCESS_TOKEN=${WEIBO_ACCESS_TOKEN:-seed-experiments-token}

SECONDS=0
log() { printf '[seed_experiments %4ds] %s\n' "$SECONDS" "$*" >&2; }
join() { local IFS=,; echo "$*"; }

for tool in gnuplot mpirun "$PY"; do
  command -v "$tool" >/dev/null || { echo "seed_experiments.sh: $tool not found" >&2; exit 1; }
done
"$PY" -c 'import mpi4py' 2>/dev/null || { echo "seed_experiments.sh: $PY lacks mpi4py (apt install python3-mpi4py)" >&2; exit 1; }
if [[ ! -x $RANKPOOL ]]; then
  log "building rankpool (release preset)"
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
fi

mock_pid=
cleanup() { if [[ -n $mock_pid ]]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# mpi4py.futures in shared mode: K workers = mpirun -np K+1.
mpi4py() { local k=$1; shift; mpirun --oversubscribe -np $((k + 1)) "$PY" -m mpi4py.futures "$PEERS/mpi4py_futures.py" "$@"; }

measure() {
  rm -f "$raw"/*
  local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "load average $load_before; writing into $out"

  # --- the embedded API server, one for every reposts run ---
  "$RANKPOOL" mock-weibo --port 0 --latency-ms "$latency" >"$raw/mock.out" 2>"$raw/mock.err" &
  mock_pid=$!
  local api= k extra
  for _ in $(seq 100); do
    api=$(head -1 "$raw/mock.out" 2>/dev/null || true)
    [[ $api == http* ]] && break
    kill -0 "$mock_pid" 2>/dev/null || { cat "$raw/mock.err" >&2; exit 1; }
    sleep 0.1
  done
  [[ $api == http* ]] || { echo "seed_experiments.sh: mock-weibo printed no URL" >&2; exit 1; }
  log "mock-weibo at $api, $latency ms a page"

  # --- experiment 1: factorials 1..100 ---
  log "factorial: rankpool compare, pools $(join "${FACT_POOLS[@]}"), best of $factorial_repeat"
  mpirun --oversubscribe -np $((FACT_POOLS[-1] + 1)) "$RANKPOOL" compare factorial --upto $UPTO \
    --pools "$(join "${FACT_POOLS[@]}")" --repeat "$factorial_repeat" \
    --csv "$raw/factorial_rankpool.csv" --json-out "$raw/factorial_rankpool.json" >"$raw/factorial_rankpool.md"
  log "factorial: Python Pool"
  "$PY" "$PEERS/seed_pool.py" factorial --upto $UPTO --variant serial,single --repeat "$factorial_repeat" \
    --json >"$raw/factorial_python_pool.jsonl"
  for k in "${FACT_POOLS[@]}"; do
    "$PY" "$PEERS/seed_pool.py" factorial --upto $UPTO --pool "$k" --variant apply,apply_async,map,map_async \
      --repeat "$factorial_repeat" --json >>"$raw/factorial_python_pool.jsonl"
  done
  log "factorial: mpi4py.futures"
  : >"$raw/factorial_mpi4py.jsonl"
  for k in "${FACT_POOLS[@]}"; do
    extra=; ((k == FACT_POOLS[0])) && extra=,serial,single
    mpi4py "$k" factorial --upto $UPTO --variant "submit,submit_result,map,map_chunked$extra" \
      --repeat "$factorial_repeat" --json >>"$raw/factorial_mpi4py.jsonl"
  done

  # --- experiment 2: the reposts crawl against the mock ---
  log "reposts: rankpool compare, pools $(join "${REPOSTS_POOLS[@]}"), best of $reposts_repeat"
  mpirun --oversubscribe -np $((REPOSTS_POOLS[-1] + 1)) "$RANKPOOL" compare reposts --mid $MID --api-base "$api" \
    --pools "$(join "${REPOSTS_POOLS[@]}")" --repeat "$reposts_repeat" \
    --csv "$raw/reposts_rankpool.csv" --json-out "$raw/reposts_rankpool.json" >"$raw/reposts_rankpool.md"
  log "reposts: Python Pool"
  "$PY" "$PEERS/seed_pool.py" reposts --mid $MID --api-base "$api" --variant serial,single \
    --repeat "$reposts_repeat" --json >"$raw/reposts_python_pool.jsonl"
  for k in "${REPOSTS_POOLS[@]}"; do
    "$PY" "$PEERS/seed_pool.py" reposts --mid $MID --api-base "$api" --pool "$k" \
      --variant apply_async,apply,map,map_async --repeat "$reposts_repeat" --json >>"$raw/reposts_python_pool.jsonl"
  done
  log "reposts: mpi4py.futures (each launch: one untimed warm-up crawl first)"
  : >"$raw/reposts_mpi4py.jsonl"
  : >"$raw/reposts_mpi4py_warmup.jsonl"
  for k in "${REPOSTS_POOLS[@]}"; do
    extra=; ((k == REPOSTS_POOLS[0])) && extra=,serial,single
    # A fresh shared-mode worker's first task pays for importing the task code (~1 s for 10
    # workers on 2 cores): the first record (a warm-up `map`) goes to its own file.
    mpi4py "$k" reposts --mid $MID --api-base "$api" --variant "map,submit,submit_result,map$extra" \
      --repeat "$reposts_repeat" --json |
      awk -v warm="$raw/reposts_mpi4py_warmup.jsonl" 'NR == 1 { print >> warm; next } { print }' \
      >>"$raw/reposts_mpi4py.jsonl"
  done

  # --- one traced run for the timeline ---
  log "timeline: rankpool reposts --variant apply_async on 5 ranks, --trace-out"
  mpirun --oversubscribe -np 5 "$RANKPOOL" reposts --mid $MID --api-base "$api" --variant apply_async \
    --trace-out "$raw/timeline_trace.json" --json >"$raw/timeline_run.json"
  kill "$mock_pid" 2>/dev/null || true
  wait "$mock_pid" 2>/dev/null || true
  mock_pid=

  COMMAND_LINE=$command_line LOAD_BEFORE=$load_before LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg) \
  LATENCY=$latency REPOSTS_REPEAT=$reposts_repeat FACTORIAL_REPEAT=$factorial_repeat UPTO=$UPTO MID=$MID \
  MEASURE_S=$SECONDS RANKPOOL=$RANKPOOL "$PY" - "$raw/meta.json" <<'EOF'
import datetime, json, os, socket, subprocess, sys
e = os.environ
run = lambda *a: subprocess.run(a, capture_output=True, text=True).stdout
json.dump({
    'command': e['COMMAND_LINE'],
    'date': datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z'),
    'host': socket.gethostname(), 'cpus': os.cpu_count(),
    'load_before': e['LOAD_BEFORE'], 'load_after': e['LOAD_AFTER'],
    'latency_ms': int(e['LATENCY']), 'reposts_repeat': int(e['REPOSTS_REPEAT']),
    'factorial_repeat': int(e['FACTORIAL_REPEAT']), 'upto': int(e['UPTO']), 'mid': e['MID'],
    'measure_s': int(e['MEASURE_S']),
    'rankpool_version': run(e['RANKPOOL'], '--version').split()[-1],
    'python': 'Python ' + sys.version.split()[0],
    'mpi4py': __import__('mpi4py').__version__,
    'mpi': run('mpirun', '--version').splitlines()[0],
}, open(sys.argv[1], 'w'), indent=1)
EOF
}

if ((replot)); then
  [[ -f $raw/meta.json ]] || { echo "seed_experiments.sh: --replot: no $raw/meta.json" >&2; exit 1; }
  log "--replot: tables and PNGs from $raw"
else
  measure
fi

# --- tables and pictures, from raw/ and the settings that measured it ---
eval "$("$PY" -c 'import json, shlex, sys
m = json.load(open(sys.argv[1]))
for k in ("latency_ms", "reposts_repeat", "factorial_repeat", "upto", "load_before", "cpus", "measure_s"):
    print("m_%s=%s" % (k, shlex.quote(str(m[k]))))' "$raw/meta.json")"
status=0
"$PY" "$PLOTS/seed_tables.py" --raw "$raw" --out "$out" --meta "$raw/meta.json" || status=$?
gnuplot -e "dat='$raw/factorial_vs_pool.dat'; vars='$raw/factorial_vs_pool.gp'; out='$out/factorial_vs_pool.png'; \
  title='Factorials 1..$m_upto through the pool: best of $m_factorial_repeat against pool size ($m_cpus cores, load $m_load_before)'" \
  "$PLOTS/vs_pool.gp"
gnuplot -e "dat='$raw/reposts_vs_pool.dat'; vars='$raw/reposts_vs_pool.gp'; out='$out/reposts_vs_pool.png'; \
  title='Reposts, 10 pages at $m_latency_ms ms a page: best of $m_reposts_repeat against pool size ($m_cpus cores, load $m_load_before)'" \
  "$PLOTS/vs_pool.gp"
"$PY" "$PLOTS/trace_to_gantt.py" "$raw/timeline_trace.json" "$raw/timeline.dat" --ytics "$raw/timeline_ytics.gp"
wall=$("$PY" -c 'import json, sys; print("%.2f" % json.load(open(sys.argv[1]))["wall_seconds"])' "$raw/timeline_run.json")
bound=$("$PY" -c "print('%.1f' % (4 * $m_latency_ms / 1000))")
gnuplot -e "dat='$raw/timeline.dat'; ytics='$raw/timeline_ytics.gp'; out='$out/timeline.png'; \
  latency=$m_latency_ms/1000.0; pages=1; \
  title='rankpool reposts --variant apply_async, mpirun -np 5 (4 workers), $m_latency_ms ms a page: $wall s (bound (1 + ceil(9/4)) x $m_latency_ms ms = $bound s)'" \
  "$PLOTS/timeline.gp"

cat "$out/factorial.md" "$out/reposts.md"
log "done: tables and PNGs in $out (measurements took ${m_measure_s} s)"
exit $status
