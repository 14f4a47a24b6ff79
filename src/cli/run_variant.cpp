#include "cli/run_variant.hpp"

#include "rankpool/detail/pool_hooks.hpp"

namespace rankpool::cli::detail {

RunTally::RunTally(Pool& pool, RunReport& report, const RunOptions& options, std::uint64_t total)
    : pool_(pool), report_(report), stop_on_error_(options.on_error == OnError::kStop),
      progress_(options.progress, total) {
  rankpool::detail::PoolHooks::set_observer(pool_, [this, spans = options.record_spans](const TaskResult& result, const std::string& job) {
    ++report_.tasks_per_rank[result.rank];
    if (spans) report_.spans.push_back({result.index, result.rank, result.start, result.end, result.ok});
    if (result.ok)
      ++report_.completed;
    else
      report_.failures.push_back(rankpool::detail::PoolHooks::failure_of(pool_, result, job));
    progress_.update(report_.completed + report_.failures.size(), report_.failures.size());
  });
}

RunTally::~RunTally() {
  try {
    pool_.cancel();
  } catch (...) {
    // A destructor must not throw; the session ends the workers.
  }
  rankpool::detail::PoolHooks::set_observer(pool_, {});
}

}  // namespace rankpool::cli::detail
