#!/usr/bin/env bash
# seed_experiments.sh — the seed's two experiments (../shared/seed/SEED.md), side by side:
# rankpool (`rankpool compare`), Python's multiprocessing.Pool (peers/seed_pool.py) and
# mpi4py.futures (peers/mpi4py_futures.py) on the same factorials (1..100; pools 1,2,4) and the
# same embedded API server (`rankpool mock-weibo`, 800 ms a page as the seed saw; pools 1,2,4,10).
#
#   hpc/bench/seed_experiments.sh [--quick] [--latency-ms MS] [--reposts-repeat N]
#                                 [--factorial-repeat N] [--out DIR]
#
# Writes DIR/factorial.md and DIR/reposts.md (one table each, the command at the top),
# DIR/factorial_vs_pool.png, DIR/reposts_vs_pool.png, DIR/timeline.png (Gantt chart of one
# 5-rank reposts apply_async run, from its Chrome trace) and DIR/raw/ (every tool's own output).
# DIR defaults to hpc/bench/results (--quick: hpc/bench/results/quick).
# Default: ~6 minutes on 2 cores; the 800 ms reposts cells are best of 1 (--reposts-repeat 1),
# else the sweep does not fit in 10 minutes. --quick: 100 ms latency, about 1.5 minutes.
# Needs the release build (cmake --preset release && cmake --build --preset release),
# /usr/bin/python3 with mpi4py (python3-mpi4py) and gnuplot.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/hpc/env.sh"
command_line="hpc/bench/$(basename "$0")${*:+ $*}"

quick=0 latency= reposts_repeat=1 factorial_repeat=3 out=
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --latency-ms) latency=$2; shift ;;
    --reposts-repeat) reposts_repeat=$2; shift ;;
    --factorial-repeat) factorial_repeat=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
# The mock accepts exactly this token; every client sends it (never printed).
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
rm -f "$raw"/*

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average $load_before; writing into $out"

# --- the embedded API server --------------------------------------------------------------
mock_pid=
cleanup() { [[ -n $mock_pid ]] && kill "$mock_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$RANKPOOL" mock-weibo --port 0 --latency-ms "$latency" >"$raw/mock.out" 2>"$raw/mock.err" &
mock_pid=$!
api=
for _ in $(seq 100); do
  api=$(head -1 "$raw/mock.out" 2>/dev/null || true)
  [[ $api == http* ]] && break
  kill -0 "$mock_pid" 2>/dev/null || { cat "$raw/mock.err" >&2; exit 1; }
  sleep 0.1
done
[[ $api == http* ]] || { echo "seed_experiments.sh: mock-weibo printed no URL" >&2; exit 1; }
log "mock-weibo at $api, ${latency} ms a page"

# mpi4py.futures in shared mode: K workers = mpirun -np K+1.
mpi4py() { local k=$1; shift; mpirun --oversubscribe -np $((k + 1)) "$PY" -m mpi4py.futures "$PEERS/mpi4py_futures.py" "$@"; }

# --- experiment 1: factorials ----------------------------------------------------------
log "factorial: rankpool compare, pools $(join "${FACT_POOLS[@]}")"
mpirun --oversubscribe -np $((FACT_POOLS[-1] + 1)) "$RANKPOOL" compare factorial --upto $UPTO \
  --pools "$(join "${FACT_POOLS[@]}")" --repeat "$factorial_repeat" \
  --csv "$raw/factorial_rankpool.csv" --json-out "$raw/factorial_rankpool.json" >"$raw/factorial_rankpool.md"
log "factorial: Python Pool"
"$PY" "$PEERS/seed_pool.py" factorial --upto $UPTO --variant serial,single --repeat "$factorial_repeat" --json \
  >"$raw/factorial_python_pool.jsonl"
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

# --- experiment 2: reposts against the mock ---------------------------------------------
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
  # The first line is the warm-up: it goes to its own file, not into the table.
  mpi4py "$k" reposts --mid $MID --api-base "$api" --variant "map,submit,submit_result,map$extra" \
    --repeat "$reposts_repeat" --json |
    awk -v warm="$raw/reposts_mpi4py_warmup.jsonl" 'NR == 1 { print >> warm; next } { print }' \
    >>"$raw/reposts_mpi4py.jsonl"
done

# --- one traced run for the timeline ----------------------------------------------------
log "timeline: rankpool reposts apply_async on 5 ranks, --trace-out"
mpirun --oversubscribe -np 5 "$RANKPOOL" reposts --mid $MID --api-base "$api" --variant apply_async \
  --trace-out "$raw/timeline_trace.json" --json >"$raw/timeline_run.json"
kill "$mock_pid" 2>/dev/null || true
wait "$mock_pid" 2>/dev/null || true
mock_pid=

# --- tables and pictures -----------------------------------------------------------------
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
measure_s=$SECONDS
COMMAND_LINE=$command_line LOAD_BEFORE=$load_before LOAD_AFTER=$load_after LATENCY=$latency \
REPOSTS_REPEAT=$reposts_repeat FACTORIAL_REPEAT=$factorial_repeat UPTO=$UPTO MID=$MID MEASURE_S=$measure_s \
RANKPOOL=$RANKPOOL "$PY" - "$raw/meta.json" <<'EOF'
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
status=0
"$PY" "$PLOTS/seed_tables.py" --raw "$raw" --out "$out" --meta "$raw/meta.json" || status=$?
cpus=$(nproc)
gnuplot -e "dat='$raw/factorial_vs_pool.dat'; out='$out/factorial_vs_pool.png'; \
  title='Factorials 1..$UPTO: best of $factorial_repeat against pool size ($cpus cores, load $load_before)'" \
  "$PLOTS/vs_pool.gp"
gnuplot -e "dat='$raw/reposts_vs_pool.dat'; out='$out/reposts_vs_pool.png'; \
  title='Reposts, 10 pages at $latency ms a page: best of $reposts_repeat against pool size ($cpus cores, load $load_before)'" \
  "$PLOTS/vs_pool.gp"
"$PY" "$PLOTS/trace_to_gantt.py" "$raw/timeline_trace.json" "$raw/timeline.dat" --ytics "$raw/timeline_ytics.gp"
wall=$("$PY" -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['wall_seconds'])" "$raw/timeline_run.json")
gnuplot -e "dat='$raw/timeline.dat'; ytics='$raw/timeline_ytics.gp'; out='$out/timeline.png'; latency=$latency/1000.0; pages=1; \
  title='rankpool reposts --variant apply\\_async, mpirun -np 5 (4 workers), $latency ms a page: $wall s, bound (1 + ceil(9/4)) x $latency ms'" \
  "$PLOTS/timeline.gp"

cat "$out/factorial.md" "$out/reposts.md"
log "done in ${SECONDS} s (measurements ${measure_s} s); results in $out"
exit $status
