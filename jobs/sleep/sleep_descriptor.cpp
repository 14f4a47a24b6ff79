// The sleep job as the command sees it.
#include "cli/job_descriptor.hpp"
#include "sleep/sleep_command.hpp"
#include "sleep/sleep_job.hpp"

rankpool::cli::JobDescriptor rankpool_job_sleep() {
  using namespace rankpool;
  return {"sleep",
          [](JobRegistry& jobs) { jobs.add<sleep_job::SleepJob>(); },
          [](CLI::App& app, std::vector<std::unique_ptr<cli::Command>>& commands) {
            commands.push_back(sleep_job::make_sleep_command(app));
          },
          {}};
}
