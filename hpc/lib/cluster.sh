# The body every job script of hpc/slurm/ and hpc/pbs/ shares, sourced by them:
#   run_job slurm|pbs factorial|reposts|compare|exec SCRIPT_NAME [rankpool arguments...]
# It finds the binary, reads the allocation (Slurm's variables, or PBS's node file), builds the
# rankpool command line from the job's variables (each script's header lists them), starts the
# embedded API for reposts when no API_BASE is given, launches (srun --mpi=pmix, or mpirun),
# forwards SIGUSR1 to the launcher so that rankpool drains (exit 75), and under Slurm requeues
# the job after a drain so that its next run resumes from OUT.partial.
# shellcheck shell=bash
set -euo pipefail

die() { echo "$me: $*" >&2; exit 2; }

# default_bin DIR: rankpool on PATH, else the release preset's build, else a plain build/.
default_bin() {
  command -v rankpool && return
  local candidate
  for candidate in "$1/build/release/src/cli/rankpool" "$1/build/src/cli/rankpool"; do
    if [[ -x $candidate ]]; then echo "$candidate"; return; fi
  done
  echo "$1/build/release/src/cli/rankpool"
}

# read_allocation: NRANKS, NNODES, NODELIST, JOBID, RESTART and the launcher's flags.
read_allocation() {
  if [[ $scheduler == pbs ]]; then
    [[ -n ${PBS_O_WORKDIR:-} && -r ${PBS_NODEFILE:-} ]] ||
      die "not inside a PBS job: PBS_O_WORKDIR and PBS_NODEFILE are needed (qsub this script)"
    cd "$PBS_O_WORKDIR"
    submit_dir=$PBS_O_WORKDIR
    NRANKS=$(grep -c . "$PBS_NODEFILE")
    NNODES=$(sort -u "$PBS_NODEFILE" | grep -c .)
    NODELIST=$(sort -u "$PBS_NODEFILE" | paste -sd,)
    JOBID=${PBS_JOBID%%.*}
    LAUNCHER=mpirun RESTART=0 RESUME=${RESUME:-0}
  else
    submit_dir=${SLURM_SUBMIT_DIR:-$PWD}
    NRANKS=${SLURM_NTASKS:-3}
    NNODES=${SLURM_JOB_NUM_NODES:-1}
    NODELIST=${SLURM_JOB_NODELIST:-$(hostname -s)}
    JOBID=${SLURM_JOB_ID:-local}
    LAUNCHER=${LAUNCHER:-srun} RESTART=${SLURM_RESTART_COUNT:-0} RESUME=${RESUME:-auto}
  fi
  RANKPOOL_BIN=${RANKPOOL_BIN:-$(default_bin "$submit_dir")}
  REQUEUE=${REQUEUE:-1}
  read -r -a srun_flags <<<"${SRUN_FLAGS:-}"
  read -r -a mpirun_flags <<<"${MPIRUN_FLAGS:-}"
  [[ -x $RANKPOOL_BIN ]] || die "RANKPOOL_BIN is not an executable file: '$RANKPOOL_BIN' (build it or set RANKPOOL_BIN)"
  ((NRANKS >= 2)) || die "needs 2 MPI processes at least (a master and a worker), the allocation has $NRANKS"
}

# add_pool_args ARGS...: the pool's variables, then --resume when wanted, then ARGS.
add_pool_args() {
  args+=(--variant "${VARIANT:-apply_async}")
  [[ -z ${CHUNKSIZE:-} ]] || args+=(--chunksize "$CHUNKSIZE")
  [[ -z ${POOL:-} ]] || args+=(--pool "$POOL")
  [[ -z ${DRAIN_SECONDS:-} ]] || args+=(--drain-seconds "$DRAIN_SECONDS")
  if resume_wanted "$@"; then args+=(--resume); fi
  args+=("$@")
}

# resume_wanted ARGS...: whether to add --resume (RESUME), unless ARGS say --resume or --fresh.
resume_wanted() {
  local arg
  for arg; do [[ $arg != --resume && $arg != --fresh ]] || return 1; done
  case $RESUME in
    1) return 0 ;;
    0) return 1 ;;
    auto) ((RESTART > 0)) || [[ $OUT != - && -e $OUT.partial ]] ;;
    *) die "RESUME must be auto, 1 or 0, not '$RESUME'" ;;
  esac
}

# start_mock [keep-port]: starts `rankpool mock-weibo` on this node unless API_BASE is set, and
# sets API_BASE to its URL; stopped when the script exits however it exits. With keep-port, a
# run that resumes OUT.partial (tied to the API's URL) gets the port of the run that wrote it.
start_mock() {
  [[ -z ${API_BASE:-} ]] || return 0
  mock_dir=$(mktemp -d "${TMPDIR:-/tmp}/rankpool-mock.XXXXXX")
  local port=0 i
  [[ ${1:-} != keep-port || ! -e $OUT.partial || ! -s $OUT.mock-port ]] || port=$(<"$OUT.mock-port")
  local mock_args=(mock-weibo --port "$port")
  # Ranks on other nodes must reach it: listen on every interface, advertise the hostname.
  ((NNODES == 1)) || mock_args+=(--host 0.0.0.0)
  [[ -z ${MOCK_LATENCY_MS:-} ]] || mock_args+=(--latency-ms "$MOCK_LATENCY_MS")
  [[ -z ${MOCK_TOTAL:-} ]] || mock_args+=(--total "$MOCK_TOTAL")
  [[ -z ${MOCK_REACHABLE:-} ]] || mock_args+=(--reachable "$MOCK_REACHABLE")
  "$RANKPOOL_BIN" "${mock_args[@]}" >"$mock_dir/stdout" 2>"$mock_dir/stderr" &
  mock_pid=$!
  for ((i = 0; i < 300; i++)); do # 30 s at most
    [[ -s $mock_dir/stdout && $(wc -l <"$mock_dir/stdout") -ge 1 ]] && break
    kill -0 "$mock_pid" 2>/dev/null || die "mock-weibo exited before printing its URL: $(cat "$mock_dir/stderr")"
    sleep 0.1
  done
  API_BASE=$(head -n 1 "$mock_dir/stdout")
  [[ -n $API_BASE ]] || die "mock-weibo printed no URL within 30 s"
  ((NNODES == 1)) || API_BASE=${API_BASE/0.0.0.0/$(hostname -f)}
  echo "mock-weibo (pid $mock_pid) serving $API_BASE"
  [[ ${1:-} != keep-port || $OUT == - ]] || echo "${API_BASE##*:}" >"$OUT.mock-port"
  # The mock accepts any non-empty token unless WEIBO_ACCESS_TOKEN says which.
  [[ -n ${WEIBO_ACCESS_TOKEN:-} || -n ${WEIBO_TOKEN_FILE:-} ]] || export WEIBO_ACCESS_TOKEN=local-mock-token
}

stop_mock() {
  if [[ -n $mock_pid ]]; then
    kill -TERM "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
    [[ ! -s $mock_dir/stderr ]] || sed 's/^/  /' "$mock_dir/stderr"
  fi
  [[ -z $mock_dir ]] || rm -rf "$mock_dir"
}

# token_args: the token by file, or the variable forwarded by name (-x: its value stays off
# the command line; srun passes the environment on by itself).
token_args() {
  [[ -z ${WEIBO_TOKEN_FILE:-} || -r $WEIBO_TOKEN_FILE ]] || die "WEIBO_TOKEN_FILE is not readable: '$WEIBO_TOKEN_FILE'"
  [[ -n ${WEIBO_ACCESS_TOKEN:-} || -n ${WEIBO_TOKEN_FILE:-} ]] ||
    die "no access token: export WEIBO_ACCESS_TOKEN (qsub -V under PBS) or set WEIBO_TOKEN_FILE"
  [[ -z ${WEIBO_TOKEN_FILE:-} ]] || args+=(--token-file "$WEIBO_TOKEN_FILE")
  [[ -z ${WEIBO_ACCESS_TOKEN:-} ]] || mpirun_flags+=(-x WEIBO_ACCESS_TOKEN)
}

# The rankpool arguments of each job, from its variables.
factorial_args() {
  OUT=${OUT:-factorial-n${NNODES}-r${NRANKS}-${JOBID}.tsv}
  args=(factorial --out "$OUT" --json)
  if [[ -n ${NUMBERS:-} ]]; then args+=(--numbers "$NUMBERS"); else args+=(--upto "${UPTO:-2000}"); fi
  add_pool_args "$@"
}

reposts_args() {
  OUT=${OUT:-reposts-n${NNODES}-r${NRANKS}-${JOBID}.jsonl}
  start_mock keep-port
  args=(reposts --api-base "$API_BASE" --out "$OUT" --json)
  if [[ -n ${MIDS_FILE:-} ]]; then args+=(--mids-file "$MIDS_FILE"); else args+=(--mid "${MID:-3664072912104801}"); fi
  [[ -z ${MAX_RPS:-} ]] || args+=(--max-rps "$MAX_RPS")
  token_args
  add_pool_args "$@"
}

exec_args() {
  TASKS=${TASKS:-tasks.txt}
  [[ -r $TASKS ]] || die "TASKS is not a readable file: '$TASKS' (one shell command per line)"
  OUT=${OUT:-exec-n${NNODES}-r${NRANKS}-${JOBID}.jsonl}
  args=(exec --tasks "$TASKS" --out "$OUT" --json)
  [[ -z ${OUTPUT_DIR:-} ]] || args+=(--output-dir "$OUTPUT_DIR")
  [[ -z ${TASK_TIMEOUT:-} ]] || args+=(--task-timeout "$TASK_TIMEOUT")
  [[ -z ${RETRIES:-} ]] || args+=(--retries "$RETRIES")
  [[ -z ${CAPTURE_BYTES:-} ]] || args+=(--capture-bytes "$CAPTURE_BYTES")
  add_pool_args "$@"
}

compare_args() {
  OUT=-
  if [[ -z ${POOLS:-} ]]; then # 1, 2, 4, ... and every worker
    local k
    POOLS=
    for ((k = 1; k < NRANKS - 1; k *= 2)); do POOLS+="$k,"; done
    POOLS+=$((NRANKS - 1))
  fi
  case ${COMPARE_JOB:-factorial} in
    factorial) args=(compare factorial --pools "$POOLS" --upto "${UPTO:-2000}") ;;
    reposts)
      start_mock
      args=(compare reposts --pools "$POOLS" --api-base "$API_BASE" --mid "${MID:-3664072912104801}")
      token_args
      ;;
    *) die "COMPARE_JOB must be factorial or reposts, not '$COMPARE_JOB'" ;;
  esac
  args+=("$@")
}

# SIGUSR1 (Slurm's --signal=B:USR1@T, scancel --signal=USR1 --batch, PBS's qsig -s USR1) goes
# on to the launcher, which passes it to every rank; rankpool then drains and exits 75.
# shellcheck disable=SC2317  # runs from the USR1 trap
on_usr1() {
  usr1_count=$((usr1_count + 1))
  if [[ -n $launcher_pid ]]; then
    echo "$me: SIGUSR1: draining (passed on to the launcher, pid $launcher_pid)"
    kill -USR1 "$launcher_pid" 2>/dev/null || true
  else
    echo "$me: SIGUSR1 before the launch: the run will not start"
  fi
}

# run_launcher CMD...: runs CMD in the background and waits for it, so that the trap runs
# while it works (bash runs a trap only between commands); sets `status`.
run_launcher() {
  local seen
  status=0
  if ((usr1_count)); then status=75; return; fi
  "$@" &
  launcher_pid=$!
  while :; do
    seen=$usr1_count
    status=0
    wait "$launcher_pid" || status=$?
    # A wait cut short by the trap returns 128 + 10 while the launcher still runs.
    ((status > 128 && usr1_count != seen)) || break
  done
  launcher_pid=
}

# after_drain: rankpool drained (exit 75): under Slurm requeue this job (same job id, same OUT;
# its next run resumes from OUT.partial), or say how to run the rest.
after_drain() {
  if [[ $scheduler == slurm && $REQUEUE == 1 && -n ${SLURM_JOB_ID:-} ]]; then
    echo "$me: drained: requeueing job $SLURM_JOB_ID (restart $((RESTART + 1))), its next run resumes from $OUT.partial"
    scontrol requeue "$SLURM_JOB_ID" && exit 75
    echo "$me: scontrol requeue $SLURM_JOB_ID failed: submit again with OUT=$OUT to run the rest"
  elif [[ $scheduler == slurm ]]; then
    echo "$me: drained: submit again with OUT=$OUT to run the rest (it resumes from $OUT.partial)"
  else
    echo "$me: drained: qsub -v RESUME=1,OUT=$OUT ... runs the rest"
  fi
  exit 75
}

# launch: the launcher's command line, the job's banner, the run; sets `status`.
launch() {
  local cmd restart=
  case $LAUNCHER in
    # Debian's Open MPI starts under PMIx only: --mpi=pmi2 and --mpi=none fail.
    srun) cmd=(srun --mpi=pmix --ntasks="$NRANKS" "${srun_flags[@]}" "$RANKPOOL_BIN" "${args[@]}") ;;
    # Under Slurm mpirun reads the node list and task counts from the allocation.
    mpirun)
      [[ $scheduler != pbs ]] || mpirun_flags=(--hostfile "$PBS_NODEFILE" "${mpirun_flags[@]}")
      cmd=(mpirun -np "$NRANKS" "${mpirun_flags[@]}" "$RANKPOOL_BIN" "${args[@]}")
      ;;
    *) die "LAUNCHER must be srun or mpirun, not '$LAUNCHER'" ;;
  esac
  ((RESTART == 0)) || restart=" (restart $RESTART)"
  echo "job ${JOBID}${restart}: ${NNODES} node(s) [${NODELIST}], ${NRANKS} ranks (1 master + $((NRANKS - 1)) workers), launcher ${LAUNCHER}${POOLS:+, pools $POOLS}"
  echo "+ ${cmd[*]}"
  run_launcher "${cmd[@]}"
}

# report: what the run left, and the script's exit status.
report() {
  ((status != 75)) || after_drain
  [[ -z $mock_pid || $status != 0 ]] || rm -f "$OUT.mock-port"
  if [[ $OUT == - ]]; then
    exit "$status"
  elif [[ -f $OUT ]]; then
    if ((status == 0)); then echo "$me: wrote $OUT"; else echo "$me: wrote $OUT (exit $status)"; fi
  elif [[ -f $OUT.partial ]]; then
    local hint=" and RESUME=1"
    [[ $RESUME != auto ]] || hint=
    echo "$me: the run ended early (exit $status); results so far in $OUT.partial: submit again with OUT=$OUT$hint to run the rest"
  fi
  exit "$status"
}

run_job() {
  scheduler=$1 job=$2 me=$3
  shift 3
  mock_pid= mock_dir= launcher_pid= usr1_count=0 status=0
  trap stop_mock EXIT
  trap 'exit 143' TERM INT
  trap on_usr1 USR1
  read_allocation
  "${job}_args" "$@"
  launch
  report
}
