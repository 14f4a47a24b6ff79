#pragma once
/// \file
/// AsyncResult<T>: the future apply_async and map_async return, and
/// wait_all / as_completed over several of them.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/detail/core.hpp"
#include "rankpool/detail/result_states.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/outcome.hpp"

namespace rankpool {

namespace detail {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

/// A received result as the caller's outcome type.
template <class R>
TaskOutcome<R> to_outcome(const Core& core, TaskResult& result, const std::string& job) {
  TaskOutcome<R> out{result.index, result.rank, result.start, result.end, std::nullopt, std::nullopt, result.position};
  if (!result.ok)
    out.error.emplace(core.failure_of(result, job));
  else if constexpr (std::is_same_v<R, std::string>)
    out.value.emplace(std::move(result.payload));  // bytes as they came: no copy
  else
    out.value.emplace(Codec<R>::decode(result.payload));
  return out;
}

}  // namespace detail

/// A result that arrives later, as Python's `multiprocessing.pool.AsyncResult`.
/// The pool's own thread fills it; waiting costs the caller nothing. Use on
/// the master only; a wait from inside a callback throws UsageError.
///
///     auto result = pool.apply_async(Square{}, 7);
///     // ... other work ...
///     long value = result.get(std::chrono::seconds(5));   // rethrows a task's error
template <class T>
class AsyncResult {
 public:
  using Decode = T (*)(std::vector<TaskResult>&);

  AsyncResult(std::shared_ptr<detail::Core> core, std::shared_ptr<detail::CollectState> state, std::string job,
              Decode decode)
      : core_(std::move(core)), state_(std::move(state)), job_(std::move(job)), decode_(decode) {}

  /// Waits for the result and returns it; throws RemoteError if a task threw
  /// (the first failed task, in request order), what the call's input threw
  /// if it failed on the master, and TimeoutError on timeout.
  T get(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    if (!wait(timeout)) throw TimeoutError("result not ready after " + std::to_string(timeout->count()) + " s");
    if (state_->error()) std::rethrow_exception(state_->error());
    for (const TaskResult& result : state_->results())
      if (!result.ok) throw RemoteError(core_->failure_of(result, job_));
    return decode_(state_->results());
  }
  /// Waits until ready or the timeout passes; returns whether it is ready.
  bool wait(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    return core_->wait_until([this] { return state_->complete(); }, detail::deadline_after(timeout));
  }
  /// Whether the result has arrived (never blocks).
  bool ready() const { return arrived(); }
  /// Whether every task succeeded; throws UsageError if not ready yet.
  bool successful() const {
    if (!ready()) throw UsageError("result is not ready");
    if (state_->error()) return false;
    for (const TaskResult& result : state_->results())
      if (!result.ok) return false;
    return true;
  }
  /// map_async: waits, then every task's value or error, in request order.
  auto outcomes(
      std::optional<std::chrono::duration<double>> timeout = std::nullopt) requires detail::IsVector<T>::value {
    using R = typename T::value_type;
    if (!wait(timeout)) throw TimeoutError("result not ready after " + std::to_string(timeout->count()) + " s");
    if (state_->error()) std::rethrow_exception(state_->error());
    std::vector<TaskOutcome<R>> out;
    out.reserve(state_->results().size());
    for (TaskResult& result : state_->results()) out.push_back(detail::to_outcome<R>(*core_, result, job_));
    return out;
  }

  /// Whether the result has arrived (as ready()).
  bool arrived() const {
    bool complete = false;
    core_->locked([&] { complete = state_->complete(); });
    return complete;
  }

 private:
  template <class U>
  friend bool wait_all(std::span<AsyncResult<U>>, std::optional<std::chrono::duration<double>>);
  template <class U>
  friend class Completions;
  /// Under the pool's lock (inside a wait's predicate).
  bool arrived_locked() const noexcept { return state_->complete(); }

  std::shared_ptr<detail::Core> core_;
  std::shared_ptr<detail::CollectState> state_;
  std::string job_;
  Decode decode_;
};

/// Waits until every result has arrived or the timeout passes; returns whether all did.
template <class T>
bool wait_all(std::span<AsyncResult<T>> results, std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
  if (results.empty()) return true;
  return results.front().core_->wait_until(
      [&] {
        for (const auto& result : results)
          if (!result.arrived_locked()) return false;
        return true;
      },
      detail::deadline_after(timeout));
}

/// Hands out the positions of results as they arrive, each once
/// (`concurrent.futures.as_completed`):
///
///     for (auto done = as_completed(std::span(results)); auto i = done.next();) use(results[*i].get());
template <class T>
class Completions {
 public:
  explicit Completions(std::span<AsyncResult<T>> results) : results_(results), yielded_(results.size(), false) {}
  /// The position of the next result to arrive; nothing once all are handed
  /// out; throws TimeoutError if none arrives in time.
  std::optional<std::size_t> next(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    if (count_ == results_.size()) return std::nullopt;
    std::optional<std::size_t> found;
    const bool arrived = results_.front().core_->wait_until(
        [&] {
          for (std::size_t i = 0; i < results_.size(); ++i)
            if (!yielded_[i] && results_[i].arrived_locked()) {
              found = i;
              return true;
            }
          return false;
        },
        detail::deadline_after(timeout));
    if (!arrived) throw TimeoutError("no result arrived in " + std::to_string(timeout->count()) + " s");
    yielded_[*found] = true;
    ++count_;
    return found;
  }

 private:
  std::span<AsyncResult<T>> results_;
  std::vector<bool> yielded_;
  std::size_t count_ = 0;
};

template <class T>
Completions<T> as_completed(std::span<AsyncResult<T>> results) {
  return Completions<T>(results);
}

}  // namespace rankpool
