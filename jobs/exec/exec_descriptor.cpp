// The exec job (a command farm) as the command sees it.
#include "cli/interrupts.hpp"
#include "cli/job_descriptor.hpp"
#include "exec/child_guard.hpp"
#include "exec/exec_command.hpp"
#include "exec/exec_job.hpp"

rankpool::cli::JobDescriptor rankpool_job_exec() {
  using namespace rankpool;
  return {"exec",
          [](JobRegistry& jobs) {
            jobs.add<exec::ExecJob>();
            // A rank that noted SIGINT, SIGTERM or SIGUSR1 starts no command.
            exec::set_stop_probe(&cli::any_stop_signal_seen);
          },
          [](CLI::App& app, std::vector<std::unique_ptr<cli::Command>>& commands) {
            commands.push_back(exec::make_exec_command(app));
          },
          {}};
}
