#include "cli/registry.hpp"

#include "cli/compare_command.hpp"
#include "factorial/factorial_command.hpp"

#include "exec/exec_job.hpp"
#include "factorial/factorial_job.hpp"
#include "sleep/sleep_job.hpp"
#ifdef RANKPOOL_WITH_REPOSTS
#include "reposts/reposts_command.hpp"
#include "reposts/reposts_job.hpp"
#endif

namespace rankpool::cli {

JobRegistry all_jobs() {
  JobRegistry registry;
  registry.add<factorial::FactorialJob>();
  registry.add<sleep_job::SleepJob>();
  registry.add<exec::ExecJob>();
#ifdef RANKPOOL_WITH_REPOSTS
  registry.add<reposts::RepostsJob>();
#endif
  return registry;
}

void add_extra_commands(CLI::App& app, std::vector<std::unique_ptr<Command>>& commands) {
#ifdef RANKPOOL_WITH_REPOSTS
  commands.push_back(std::make_unique<reposts::RepostsCommand>(app));
  commands.push_back(std::make_unique<reposts::MockWeiboCommand>(app));
#endif
  // compare owns second instances of the job commands, parsed under it.
  commands.push_back(std::make_unique<CompareCommand>(app, [](CLI::App& compare) {
    std::vector<CompareJob> jobs;
    auto factorial = std::make_shared<factorial::FactorialCommand>(compare, true);
    jobs.push_back({"factorial", factorial->command(), [factorial](Pool&) { return factorial->workload(); }});
#ifdef RANKPOOL_WITH_REPOSTS
    auto reposts = std::make_shared<reposts::RepostsCommand>(compare, true);
    jobs.push_back({"reposts", reposts->command(), [reposts](Pool& pool) { return reposts->workload(pool); }});
#endif
    return jobs;
  }));
}

std::optional<int> run_standalone([[maybe_unused]] std::vector<std::unique_ptr<Command>>& commands) {
#ifdef RANKPOOL_WITH_REPOSTS
  for (auto& command : commands)
    if (auto* mock = dynamic_cast<reposts::MockWeiboCommand*>(command.get()); mock && mock->selected())
      return mock->run_standalone();
#endif
  return std::nullopt;
}

}  // namespace rankpool::cli
