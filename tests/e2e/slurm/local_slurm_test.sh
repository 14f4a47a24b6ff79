#!/bin/bash
# local_slurm_test.sh - stands up a one-node Slurm on localhost, submits the
# job scripts of hpc/slurm/ with sbatch, checks what they wrote, tears it down.
#
#   tests/e2e/slurm/local_slurm_test.sh            (as root; about 30 s)
#
# Cases (each PASS, FAIL or SKIPPED; exit 1 on any FAIL, 2 when Slurm cannot start):
#   factorial-srun     factorial.sbatch, LAUNCHER=srun (srun --mpi=pmix), 3 ranks on the node's CPUs
#   factorial-mpirun   factorial.sbatch, LAUNCHER=mpirun inside the allocation
#   reposts-mpirun     reposts.sbatch, LAUNCHER=mpirun, its own mock-weibo: 2000 unique ids
#   compare-srun       compare.sbatch factorial, LAUNCHER=srun
#   exec-srun          exec.sbatch, LAUNCHER=srun: 60 commands, one row each in task order, run on
#                      the workers with their RANKPOOL_* variables and no OMPI_*/PMIX_* variable
#   factorial-requeue  factorial.sbatch, LAUNCHER=srun, alone on the node: drained while it runs
#                      (scancel --signal=USR1 --batch, what --signal=B:USR1@T sends before the
#                      time limit), it requeues itself, its second run resumes, and its output is
#                      byte-identical to an uninterrupted run's (run beside it with mpirun)
# A case whose subcommand the binary lacks is SKIPPED, and says so.
#
# Environment:
#   RANKPOOL_BIN         binary to test [newer of build/release/src/cli/rankpool and
#                        build/src/cli/rankpool]; copied, so rebuilds don't race us
#   RANKPOOL_SLURM_AUTH  munge | none   [munge]: auth/munge with munged started here if none answers,
#                        or auth/none + cred/none (no munge at all)
#   KEEP_WORKDIR=1       keep the temp dir (configs, logs, outputs) even on success
#   RANKPOOL_SLURM_JOBS_BUDGET_S  seconds from start by which every job must be done [130]
#   RANKPOOL_SLURM_REQUEUE_UPTO   factorial-requeue's n = 1..N (cpp_int backend) [4000]
#
# Needs root (slurmd launches the job steps). Installs slurmctld slurmd
# slurm-client munge with apt-get when they are missing. Every wait is bounded;
# the daemons are stopped by their pid files on any exit; each run has its own
# temp dir and ports, so two runs in a row do not meet.

# shellcheck disable=SC2317  # teardown and its helpers run from the EXIT trap
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
readonly here repo
readonly auth=${RANKPOOL_SLURM_AUTH:-munge}
started_at=$SECONDS

say() { printf '[slurm-test %3ds] %s\n' $((SECONDS - started_at)) "$*"; }
fatal() { say "ERROR: $*"; exit 2; }

[[ $EUID -eq 0 ]] || fatal "run as root: slurmd must start job steps"
[[ $auth == munge || $auth == none ]] || fatal "RANKPOOL_SLURM_AUTH must be munge or none, not '$auth'"

# --- tools ------------------------------------------------------------------
need=(slurmctld slurmd sbatch srun scontrol sinfo squeue scancel)
[[ $auth == munge ]] && need+=(munged munge unmunge)
missing=0
for tool in "${need[@]}"; do PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || missing=1; done
if ((missing)); then
  say "installing slurmctld slurmd slurm-client munge"
  export DEBIAN_FRONTEND=noninteractive
  if ! timeout 300 apt-get update -qq || ! timeout 600 apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null; then
    fatal "apt-get install failed"
  fi
fi
export PATH=$PATH:/usr/sbin
for tool in mpirun python3 timeout; do command -v "$tool" >/dev/null || fatal "$tool not found"; done

# shellcheck source=tests/e2e/rankpool_bin.sh
source "$repo/tests/e2e/rankpool_bin.sh"
src_bin=$(rankpool_bin "$repo")
[[ -n $src_bin && -x $src_bin ]] || fatal "no rankpool binary at '$src_bin': build it (cmake --preset release && cmake --build --preset release) or set RANKPOOL_BIN"

# --- leftovers of a run that was killed before its own cleanup -----------------
for pidfile in /tmp/rankpool-slurm-test.*/run/*.pid; do
  [[ -f $pidfile ]] || continue
  pid=$(<"$pidfile")
  conf=${pidfile%/run/*}/etc/slurm.conf
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$conf"; then
    say "stopping leftover $(basename "$pidfile" .pid) (pid $pid) of an earlier run"
    kill -TERM "$pid" 2>/dev/null
  fi
done

# --- work dir, config ---------------------------------------------------------
work=$(mktemp -d /tmp/rankpool-slurm-test.XXXXXX) || fatal "mktemp failed"
chmod 755 "$work"
mkdir -p "$work"/{etc,run,log,state,spool,jobs,bin,tmp}
cp "$src_bin" "$work/bin/rankpool"
bin=$work/bin/rankpool
export SLURM_CONF=$work/etc/slurm.conf
host=$(hostname -s)
cpus=$(nproc)
read -r ctld_port slurmd_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

if [[ $auth == munge ]]; then
  auth_conf=$'AuthType=auth/munge\nCredType=cred/munge'
else
  auth_conf=$'AuthType=auth/none\nCredType=cred/none'
fi
cat >"$SLURM_CONF" <<EOF
# one-node test cluster written by tests/e2e/slurm/local_slurm_test.sh
ClusterName=rankpooltest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
$auth_conf
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
TmpFS=$work/tmp
# A requeued job waits cred_expire seconds (default 120) before it may run
# again, then for the next pass of the main scheduling loop (default every 60 s).
AuthInfo=cred_expire=10
SchedulerParameters=sched_interval=2
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
KillWait=2
InactiveLimit=0
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=10 State=UP
EOF

# --- teardown -------------------------------------------------------------------
munged_started=0
failures=0

# stop_by_pidfiles PIDFILE... : SIGTERM to all at once (each takes ~2 s to
# shut down), SIGKILL to whichever still runs 10 s later.
stop_by_pidfiles() {
  local file pid pids=()
  for file in "$@"; do
    [[ -f $file ]] || continue
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  timeout 10 bash -c "while kill -0 ${pids[*]} 2>/dev/null; do sleep 0.1; done"
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    say "pid $pid ignored SIGTERM for 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  done
}

teardown() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -f $work/run/slurmctld.pid ]]; then
    timeout 10 scancel --quiet --full --partition=test 2>/dev/null
    timeout 15 bash -c 'while [[ -n $(squeue -h -o %i 2>/dev/null) ]]; do sleep 0.2; done'
  fi
  daemons=("$work/run/slurmd.pid" "$work/run/slurmctld.pid")
  ((munged_started)) && daemons+=(/run/munge/munged.pid)
  stop_by_pidfiles "${daemons[@]}"
  # A munge socket with no munged behind it makes every later MPI start wait
  # ~2.4 s (PMIx's munge security plugin retries it): leave none behind.
  if ((munged_started)); then
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock /run/munge/munged.pid
  fi
  if ((rc != 0)); then
    for log in "$work"/log/*.log; do
      [[ -s $log ]] || continue
      say "last lines of $log:"
      tail -n 15 "$log" | sed 's/^/    /'
    done
  fi
  if ((rc == 0)) && [[ ${KEEP_WORKDIR:-0} != 1 ]]; then
    rm -rf "$work"
  else
    say "kept $work (configs, daemon logs, job outputs)"
  fi
  say "daemons stopped; total $((SECONDS - started_at)) s"
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- daemons ------------------------------------------------------------------------
if [[ $auth == munge ]]; then
  if timeout 5 bash -c 'munge -n | unmunge' >/dev/null 2>&1; then
    say "munged already answers: using it"
  else
    if [[ ! -s /etc/munge/munge.key ]]; then
      say "creating /etc/munge/munge.key"
      install -d -o munge -g munge -m 0700 /etc/munge
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
      chown munge:munge /etc/munge/munge.key
      chmod 0400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    # A stale pid file of a dead munged would stop the new one.
    [[ ! -f /run/munge/munged.pid ]] || kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null ||
      rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged || fatal "munged did not start"
    munged_started=1
    timeout 10 bash -c 'until munge -n | unmunge >/dev/null 2>&1; do sleep 0.1; done' ||
      fatal "munged started but does not answer"
    say "munged started (pid $(cat /run/munge/munged.pid 2>/dev/null))"
  fi
fi

slurmctld -f "$SLURM_CONF" -c || fatal "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N "$host" || fatal "slurmd did not start"
timeout 30 bash -c 'until [[ $(sinfo -h -N -o %t 2>/dev/null) == idle ]]; do sleep 0.2; done' ||
  fatal "node $host not idle within 30 s: $(sinfo -N 2>&1)"
say "slurm up: node $host, $cpus CPUs, ports $ctld_port/$slurmd_port, auth/$auth, conf $SLURM_CONF"

# --- cases ----------------------------------------------------------------------------
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
jobs_dir=$work/jobs
results=()

# The help is read whole first: grep -q stopping early would SIGPIPE the binary (pipefail).
bin_help=$("$bin" --help 2>/dev/null)
has_subcommand() { grep -Eq "^ +$1( |$)" <<<"$bin_help"; }

# submit NAME SCRIPT [-u VAR]... VAR=VALUE... [-- ARG...] : prints the job id; ARGs go
# to the script. 3 ranks on the node's CPUs need --overcommit (without it srun waits
# for CPUs forever).
submit() {
  local name=$1 script=$2 vars=()
  shift 2
  while (($#)) && [[ $1 != -- ]]; do
    vars+=("$1")
    shift
  done
  (($# == 0)) || shift
  env "${vars[@]}" RANKPOOL_BIN="$bin" timeout 20 sbatch --parsable --job-name="$name" \
    --nodes=1 --ntasks=3 --overcommit --time=3 --chdir="$jobs_dir" "$repo/hpc/slurm/$script" "$@"
}
# All job waits end by this deadline, whatever their own limits, so that the
# whole test (teardown included) stays under 3 minutes.
readonly jobs_deadline=$((started_at + ${RANKPOOL_SLURM_JOBS_BUDGET_S:-130}))

# wait_job ID LIMIT_S : waits for a final state; prints "STATE EXITCODE".
wait_job() {
  local id=$1 limit=$2 line
  ((limit <= jobs_deadline - SECONDS)) || limit=$((jobs_deadline - SECONDS))
  ((limit >= 1)) || limit=1
  if ! timeout "$limit" bash -c "until scontrol -o show job $id 2>/dev/null |
      grep -Eq 'JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) '; do
      sleep 0.3; done"; then
    timeout 10 scancel "$id" 2>/dev/null
    echo "unfinished after ${limit} s (cancelled)"
    return
  fi
  line=$(scontrol -o show job "$id")
  [[ $line =~ JobState=([A-Z_]+) ]] && printf '%s ' "${BASH_REMATCH[1]}"
  [[ $line =~ ExitCode=([0-9:]+) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

record() { # name verdict detail
  results+=("$(printf '%-17s %-8s %s' "$1" "$2" "$3")")
  say "$1: $2 $3"
  [[ $2 != FAIL ]] || failures=$((failures + 1))
}

# finish NAME ID LIMIT LOGPREFIX CHECK... : waits, checks the log and runs CHECK.
finish() {
  local name=$1 id=$2 limit=$3 prefix=$4 state log out
  shift 4
  state=$(wait_job "$id" "$limit")
  log=$jobs_dir/$prefix-$id.out
  if [[ $state != "COMPLETED 0:0" ]]; then
    record "$name" FAIL "job $id ended $state"
    [[ -f $log ]] && tail -n 20 "$log" | sed 's/^/    /'
    return
  fi
  if [[ ! -s $log ]]; then
    record "$name" FAIL "job $id: no log $log (#SBATCH --output)"
    return
  fi
  if out=$("$@" 2>&1); then
    record "$name" PASS "job $id, $(basename "$log"): ${out#check_output: ok }"
  else
    record "$name" FAIL "job $id: $out"
    tail -n 20 "$log" | sed 's/^/    /'
  fi
}

# Jobs go in together (overcommitted jobs take one CPU each); each is then awaited.
fact_srun_out=$jobs_dir/factorial-srun.tsv
fact_mpirun_out=$jobs_dir/factorial-mpirun.tsv
id_fs=$(submit t-fact-srun factorial.sbatch LAUNCHER=srun UPTO=1000 VARIANT=apply_async OUT="$fact_srun_out") ||
  record factorial-srun FAIL "sbatch refused the job"
id_fm=$(submit t-fact-mpirun factorial.sbatch LAUNCHER=mpirun UPTO=600 VARIANT=map OUT="$fact_mpirun_out") ||
  record factorial-mpirun FAIL "sbatch refused the job"

reposts_out=$jobs_dir/reposts-mpirun.jsonl
id_rp=
if has_subcommand reposts && has_subcommand mock-weibo; then
  id_rp=$(submit t-reposts reposts.sbatch -u API_BASE -u WEIBO_ACCESS_TOKEN -u WEIBO_TOKEN_FILE \
    LAUNCHER=mpirun MOCK_LATENCY_MS=20 MOCK_TOTAL=2500 MOCK_REACHABLE=2000 OUT="$reposts_out") ||
    record reposts-mpirun FAIL "sbatch refused the job"
else
  record reposts-mpirun SKIPPED "this rankpool has no 'reposts'/'mock-weibo' subcommand yet (rerun once it lands)"
fi

id_cmp=
if has_subcommand compare; then
  id_cmp=$(submit t-compare compare.sbatch LAUNCHER=srun COMPARE_JOB=factorial UPTO=300 POOLS=1,2) ||
    record compare-srun FAIL "sbatch refused the job"
else
  record compare-srun SKIPPED "this rankpool has no 'compare' subcommand yet (rerun once it lands)"
fi

exec_out=$jobs_dir/exec-srun.jsonl
exec_tasks=$jobs_dir/exec-tasks.txt
id_ex=
if has_subcommand exec; then
  python3 "$here/check_output.py" exec-tasks "$exec_tasks" --count 60
  id_ex=$(submit t-exec exec.sbatch LAUNCHER=srun TASKS="$exec_tasks" VARIANT=imap OUT="$exec_out") ||
    record exec-srun FAIL "sbatch refused the job"
else
  record exec-srun SKIPPED "this rankpool has no 'exec' subcommand yet (rerun once it lands)"
fi

[[ -z $id_fs ]] || finish factorial-srun "$id_fs" 60 rankpool-factorial \
  python3 "$here/check_output.py" factorial "$fact_srun_out" --upto 1000
[[ -z $id_fm ]] || finish factorial-mpirun "$id_fm" 60 rankpool-factorial \
  python3 "$here/check_output.py" factorial "$fact_mpirun_out" --upto 600
[[ -z $id_rp ]] || finish reposts-mpirun "$id_rp" 90 rankpool-reposts \
  python3 "$here/check_output.py" reposts "$reposts_out" --unique 2000
[[ -z $id_cmp ]] || finish compare-srun "$id_cmp" 90 rankpool-compare \
  bash -c "grep -q apply_async '$jobs_dir/rankpool-compare-$id_cmp.out' &&
           grep -q imap_unordered '$jobs_dir/rankpool-compare-$id_cmp.out' && echo 'table lists the variants'"
[[ -z $id_ex ]] || finish exec-srun "$id_ex" 60 rankpool-exec \
  python3 "$here/check_output.py" exec "$exec_out" --tasks "$exec_tasks"

# --- factorial-requeue: a drained job requeues itself and its next run resumes ---------
# Slurm sends the batch shell SIGUSR1 T s before the time limit (#SBATCH
# --signal=B:USR1@T); here scancel sends it while OUT.partial fills. The script
# passes it on to srun, rankpool drains and exits 75, the script requeues the job
# (scontrol requeue), and the requeued run resumes (--resume) and must end with
# the bytes an uninterrupted run writes. cpp_int's multiply loop: seconds of work
# for 23 MB of output, most of it in the last n.
requeue_upto=${RANKPOOL_SLURM_REQUEUE_UPTO:-4000}

# partial_bytes FILE : the size of FILE.partial, 0 when there is none.
partial_bytes() { stat -c %s "$1.partial" 2>/dev/null || echo 0; }

# job_field ID FIELD : one field of scontrol show job (JobState, Reason, Restarts, ...).
job_field() {
  [[ $(timeout 10 scontrol -o show job "$1" 2>/dev/null) =~ (^| )$2=([^ ]*) ]] && echo "${BASH_REMATCH[2]}"
}

# wait_requeued ID LIMIT_S : wait_job for a job that requeues itself. A requeued
# job waits AuthInfo's cred_expire seconds (BeginTime) before it runs again; one
# held instead (JobHoldMaxRequeue, a failed launch, a site's RequeueExitHold) is
# released. Prints "STATE EXITCODE".
wait_requeued() {
  local id=$1 limit=$2 line released=0 end
  ((limit <= jobs_deadline - SECONDS)) || limit=$((jobs_deadline - SECONDS))
  end=$((SECONDS + limit))
  while ((SECONDS < end)); do
    line=$(timeout 10 scontrol -o show job "$id" 2>/dev/null)
    if [[ $line =~ JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)\  ]]; then
      printf '%s ' "${BASH_REMATCH[1]}"
      [[ $line =~ ExitCode=([0-9:]+) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
      return
    fi
    if [[ $line =~ JobState=PENDING && ($line =~ \ Priority=0\  || $line =~ Reason=(JobHeld[A-Za-z]*|JobHoldMaxRequeue|launch_failed_requeued_held)) ]] &&
      ((released < 3)); then
      released=$((released + 1))
      say "factorial-requeue: job $id held after its requeue ($(job_field "$id" Reason)): scontrol release" >&2
      timeout 10 scontrol release "$id" >&2
    fi
    sleep 0.3
  done
  timeout 10 scancel "$id" 2>/dev/null
  echo "unfinished after ${limit} s (cancelled)"
}

requeue_case() {
  local name=factorial-requeue out=$jobs_dir/factorial-requeue.tsv ref=$jobs_dir/factorial-uninterrupted.tsv
  local id log state job_state restarts bytes end ref_pid ref_rc=0 interrupted out_check problems=()
  id=$(submit t-fact-requeue factorial.sbatch LAUNCHER=srun UPTO="$requeue_upto" VARIANT=imap CHUNKSIZE=5 \
    OUT="$out" -- --backend cpp_int) || { record "$name" FAIL "sbatch refused the job"; return; }
  log=$jobs_dir/rankpool-factorial-$id.out
  # The journal's header alone is a line: 4 KiB means entries, with most of the work ahead.
  end=$((SECONDS + 60 < jobs_deadline ? SECONDS + 60 : jobs_deadline))
  while bytes=$(partial_bytes "$out") && ((bytes < 4096)); do
    job_state=$(job_field "$id" JobState)
    if [[ $job_state != PENDING && $job_state != CONFIGURING && $job_state != RUNNING ]] || ((SECONDS >= end)); then
      record "$name" FAIL "job $id: no entries in $(basename "$out").partial (job ${job_state:-gone})"
      timeout 10 scancel "$id" 2>/dev/null
      [[ -f $log ]] && tail -n 20 "$log" | sed 's/^/    /'
      return
    fi
    sleep 0.1
  done
  if [[ -e $out || $(job_field "$id" JobState) != RUNNING ]]; then
    record "$name" FAIL "job $id ended before the drain (raise RANKPOOL_SLURM_REQUEUE_UPTO)"
    timeout 10 scancel "$id" 2>/dev/null
    return
  fi
  if ! timeout 10 scancel --signal=USR1 --batch "$id"; then
    record "$name" FAIL "job $id: scancel --signal=USR1 --batch failed"
    timeout 10 scancel "$id" 2>/dev/null
    return
  fi
  say "$name: job $id running, $bytes bytes in OUT.partial: SIGUSR1 to its batch shell"
  # The uninterrupted run to compare with, while the job drains and waits to run again.
  timeout 120 mpirun --oversubscribe -np 3 "$bin" factorial --upto "$requeue_upto" --variant imap --chunksize 5 \
    --backend cpp_int --out "$ref" >"$ref.log" 2>&1 &
  ref_pid=$!
  state=$(wait_requeued "$id" 120)
  wait "$ref_pid" || ref_rc=$?
  restarts=$(job_field "$id" Restarts)
  if [[ $state != "COMPLETED 0:0" ]]; then
    record "$name" FAIL "job $id ended $state after ${restarts:-?} restart(s)"
    [[ -f $log ]] && tail -n 30 "$log" | sed 's/^/    /'
    return
  fi
  interrupted=$(grep -m1 '^rankpool: interrupted: ' "$log" 2>/dev/null)
  [[ -n $interrupted ]] || problems+=("no 'rankpool: interrupted:' line in its log")
  grep -q "^factorial.sbatch: drained: requeueing job $id" "$log" || problems+=("no requeue in its log")
  grep -q "^job $id (restart 1):" "$log" || problems+=("no second run (restart 1) in its log")
  grep -q "^+ .* --resume" "$log" || problems+=("the second run did not pass --resume")
  [[ $restarts == 1 ]] || problems+=("Restarts=$restarts, expected 1")
  [[ ! -e $out.partial ]] || problems+=("$(basename "$out").partial left behind")
  if ((ref_rc != 0)); then
    problems+=("the uninterrupted run failed (exit $ref_rc): $(tail -n 3 "$ref.log")")
  elif ! cmp -s "$out" "$ref"; then
    problems+=("output differs from the uninterrupted run's: $(cmp "$out" "$ref" 2>&1 | head -n 1)")
  fi
  out_check=$(python3 "$here/check_output.py" factorial "$out" --upto "$requeue_upto" 2>&1) || problems+=("$out_check")
  if ((${#problems[@]})); then
    record "$name" FAIL "job $id: $(printf '%s; ' "${problems[@]}")"
    tail -n 30 "$log" | sed 's/^/    /'
    return
  fi
  interrupted=${interrupted#rankpool: interrupted: }
  record "$name" PASS "job $id, $(basename "$log"): drained (${interrupted%%;*}), requeued, resumed: byte-identical to an uninterrupted run, ${out_check##*: }"
}

if "$bin" factorial --help 2>/dev/null | grep -q -- --drain-seconds; then
  requeue_case
else
  record factorial-requeue SKIPPED "this rankpool has no --drain-seconds yet (rerun once it lands)"
fi

# --- summary ----------------------------------------------------------------------------
echo
echo "local Slurm test ($host, auth/$auth, $((SECONDS - started_at)) s):"
printf '  %s\n' "${results[@]}"
if ((failures)); then
  echo "FAILED: $failures case(s)"
  exit 1
fi
echo "OK"
exit 0
