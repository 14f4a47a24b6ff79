// The factorial job as the command sees it.
#include "cli/job_descriptor.hpp"
#include "factorial/factorial_command.hpp"
#include "factorial/factorial_job.hpp"

rankpool::cli::JobDescriptor rankpool_job_factorial() {
  using namespace rankpool;
  return {"factorial", [](JobRegistry& jobs) { jobs.add<factorial::FactorialJob>(); },
          [](CLI::App& app, std::vector<std::unique_ptr<cli::Command>>& commands) {
            commands.push_back(std::make_unique<factorial::FactorialCommand>(app));
          },
          [](CLI::App& compare) {
            auto command = std::make_shared<factorial::FactorialCommand>(compare, true);
            return cli::CompareJob{"factorial", command->command(), [command](Pool&) { return command->workload(); }};
          }};
}
