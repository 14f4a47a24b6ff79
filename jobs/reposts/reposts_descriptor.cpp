// The reposts job and its embedded API server as the command sees them.
#include "cli/job_descriptor.hpp"
#include "reposts/reposts_command.hpp"
#include "reposts/reposts_job.hpp"

rankpool::cli::JobDescriptor rankpool_job_reposts() {
  using namespace rankpool;
  return {"reposts", [](JobRegistry& jobs) { jobs.add<reposts::RepostsJob>(); },
          [](CLI::App& app, std::vector<std::unique_ptr<cli::Command>>& commands) {
            commands.push_back(std::make_unique<reposts::RepostsCommand>(app));
            commands.push_back(std::make_unique<reposts::MockWeiboCommand>(app));
          },
          [](CLI::App& compare) {
            auto command = std::make_shared<reposts::RepostsCommand>(compare, true);
            return cli::CompareJob{"reposts", command->command(), [command](Pool&) { return command->workload(); }};
          }};
}
