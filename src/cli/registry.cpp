#include "cli/registry.hpp"

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
#ifdef RANKPOOL_WITH_REPOSTS
  registry.add<reposts::RepostsJob>();
#endif
  return registry;
}

void add_extra_commands([[maybe_unused]] CLI::App& app,
                        [[maybe_unused]] std::vector<std::unique_ptr<Command>>& commands) {
#ifdef RANKPOOL_WITH_REPOSTS
  commands.push_back(std::make_unique<reposts::RepostsCommand>(app));
  commands.push_back(std::make_unique<reposts::MockWeiboCommand>(app));
#endif
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
