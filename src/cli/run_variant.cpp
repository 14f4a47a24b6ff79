#include "cli/run_variant.hpp"

#include "rankpool/detail/pool_hooks.hpp"

namespace rankpool::cli::detail {

RunTally::RunTally(Pool& pool, RunReport& report, const RunOptions& options, std::uint64_t total, Arrival arrival)
    : pool_(pool), report_(report), stop_on_error_(options.on_error == OnError::kStop), arrival_(std::move(arrival)),
      progress_(options.progress, total) {
  rankpool::detail::PoolHooks::set_observer(
      pool_, [this, spans = options.record_spans](const TaskResult& result, const std::string& job) {
        const auto lock = lock_results();
        // The result first: nothing after it may lose it.
        if (result.ok && arrival_ && !arrival_error_) {
          try {
            arrival_(result.index, result.payload);
          } catch (...) {
            arrival_error_ = std::current_exception();
            arrival_failed_.store(true);
          }
        }
        ++report_.tasks_per_rank[result.rank];
        if (spans) report_.spans.push_back({result.index, result.rank, result.start, result.end, result.ok});
        if (result.ok)
          ++report_.completed;
        else
          report_.failures.push_back(rankpool::detail::PoolHooks::failure_of(pool_, result, job));
        if (!result.ok) failed_.store(true);
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
