#include "cli/registry.hpp"

#include "factorial/factorial_job.hpp"
#include "sleep/sleep_job.hpp"

namespace rankpool::cli {

JobRegistry all_jobs() {
  JobRegistry registry;
  registry.add<factorial::FactorialJob>();
  registry.add<sleep_job::SleepJob>();
  return registry;
}

void add_extra_commands(CLI::App& /*app*/, std::vector<std::unique_ptr<Command>>& /*commands*/) {}

std::optional<int> run_standalone(std::vector<std::unique_ptr<Command>>& /*commands*/) { return std::nullopt; }

}  // namespace rankpool::cli
