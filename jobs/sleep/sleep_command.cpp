#include "sleep/sleep_command.hpp"

#include <cstdint>

#include "cli/pool_command.hpp"
#include "cli/run_variant.hpp"
#include "sleep/sleep_job.hpp"

namespace rankpool::sleep_job {

namespace {

class SleepCommand final : public cli::PoolCommand {
 public:
  explicit SleepCommand(CLI::App& app)
      : PoolCommand(app, "sleep", "tasks that only sleep: measures the pool's own overhead") {
    command_->add_option("--tasks", tasks_, "number of tasks")
        ->required()
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40));
    command_->add_option("--seconds", seconds_, "how long each task sleeps (0: returns at once)")
        ->check(CLI::Range(0.0, 86400.0));
    add_pool_options("not used by this job");
  }

  int run(Pool& pool) override {
    if (!options_.out.empty()) throw UsageError("sleep writes no --out");
    const cli::RunOptions run = cli::apply_pool_options(options_, pool);
    cli::note_serial_fallback(pool);
    const double seconds = seconds_;
    const cli::RunReport report =
        cli::run_variant(pool, SleepJob{seconds}, TaskSet(tasks_), run, [](std::uint64_t, std::uint64_t) {});
    nlohmann::json extra{{"seconds_per_task", seconds},
                         {"us_per_task", tasks_ ? report.wall_seconds * 1e6 / static_cast<double>(tasks_) : 0.0}};
    return cli::finish_run(options_, "sleep", run, pool, report, extra);
  }

 private:
  std::uint64_t tasks_ = 0;
  double seconds_ = 0;
};

}  // namespace

std::unique_ptr<cli::Command> make_sleep_command(CLI::App& app) { return std::make_unique<SleepCommand>(app); }

}  // namespace rankpool::sleep_job
