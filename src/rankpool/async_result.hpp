#pragma once
/// \file
/// AsyncResult<T>: the future apply_async and map_async return.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/result_states.hpp"
#include "rankpool/errors.hpp"

namespace rankpool {

/// A result that arrives later, as Python's `multiprocessing.pool.AsyncResult`.
/// Waiting drives the pool (hands out tasks, receives results) with backoff,
/// so other calls' work goes on meanwhile. Use on the master only.
///
///     auto result = pool.apply_async(Square{}, 7);
///     // ... other work ...
///     long value = result.get(std::chrono::seconds(5));   // rethrows a task's error
template <class T>
class AsyncResult {
 public:
  using Decode = std::function<T(std::vector<TaskResult>&)>;

  AsyncResult(detail::Engine& engine, std::shared_ptr<detail::CollectState> state, std::uint64_t job_id,
              Decode decode)
      : engine_(&engine), state_(std::move(state)), job_id_(job_id), decode_(std::move(decode)) {}

  /// Waits for the result and returns it; throws RemoteError if a task threw
  /// (the first failed task, in request order) and TimeoutError on timeout.
  T get(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    if (!wait(timeout)) throw TimeoutError("result not ready after " + std::to_string(timeout->count()) + " s");
    for (const TaskResult& result : state_->results())
      if (!result.ok) throw RemoteError(engine_->failure_of(result, job_id_));
    return decode_(state_->results());
  }
  /// Waits until ready or the timeout passes; returns whether it is ready.
  bool wait(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    detail::Deadline deadline;
    if (timeout)
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(*timeout);
    return engine_->wait_until([this] { return state_->complete(); }, deadline);
  }
  /// Whether the result has arrived (progresses the pool once, never blocks).
  bool ready() {
    if (!state_->complete()) engine_->progress();
    return state_->complete();
  }
  /// Whether every task succeeded; throws UsageError if not ready yet.
  bool successful() {
    if (!ready()) throw UsageError("result is not ready");
    for (const TaskResult& result : state_->results())
      if (!result.ok) return false;
    return true;
  }

 private:
  detail::Engine* engine_;
  std::shared_ptr<detail::CollectState> state_;
  std::uint64_t job_id_;
  Decode decode_;
};

}  // namespace rankpool
