#include "exec/exec_job.hpp"

#include <mpi.h>
#include <unistd.h>

#include "exec/child_process.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::exec {

namespace {

int world_rank() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  int rank = 0;
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

}  // namespace

struct ExecJob::Runtime {
  int rank = world_rank();
  std::string host = host_name();
  ChildEnvironment environment{rank, host};
};

std::string output_file(const std::string& dir, std::uint64_t task, const char* stream) {
  return dir + "/" + std::to_string(task) + "." + stream;
}

CommandOutcome ExecJob::operator()(std::uint64_t index) const {
  if (index >= commands.size())
    throw RuntimeError("exec: task " + std::to_string(index) + " but only " + std::to_string(commands.size()) +
                       " commands");
  if (!runtime_) runtime_ = std::make_shared<Runtime>();
  Runtime& runtime = *runtime_;
  runtime.environment.set_task(index);

  ChildRequest request;
  request.command = commands[index];
  request.capture_bytes = capture_bytes;
  request.timeout_seconds = task_timeout;
  request.kill_grace_seconds = kill_grace;
  if (!output_dir.empty()) {
    request.stdout_path = output_file(output_dir, index, "stdout");
    request.stderr_path = output_file(output_dir, index, "stderr");
  }

  CommandOutcome outcome;
  outcome.rank = runtime.rank;
  outcome.host = runtime.host;
  for (std::uint32_t attempt = 0; attempt <= retries; ++attempt) {
    ChildResult result = run_child(request, runtime.environment);
    outcome.attempts = attempt + 1;
    outcome.exit_code = result.exit_code;
    outcome.timed_out = result.timed_out;
    outcome.seconds = result.seconds;
    outcome.stdout_text = std::move(result.stdout_text);
    outcome.stderr_text = std::move(result.stderr_text);
    outcome.stdout_bytes = result.stdout_bytes;
    outcome.stderr_bytes = result.stderr_bytes;
    if (!outcome.failed()) break;
  }
  return outcome;
}

}  // namespace rankpool::exec
