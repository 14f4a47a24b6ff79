// The exec job (a command farm) as the command sees it.
#include "cli/job_descriptor.hpp"
#include "exec/exec_command.hpp"
#include "exec/exec_job.hpp"

rankpool::cli::JobDescriptor rankpool_job_exec() {
  using namespace rankpool;
  return {"exec", [](JobRegistry& jobs) { jobs.add<exec::ExecJob>(); },
          [](CLI::App& app, std::vector<std::unique_ptr<cli::Command>>& commands) {
            commands.push_back(exec::make_exec_command(app));
          },
          {}};
}
