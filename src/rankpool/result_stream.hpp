#pragma once
/// \file
/// ResultStream<T>: results of imap / imap_unordered, one at a time.

#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "rankpool/async_result.hpp"
#include "rankpool/codec.hpp"
#include "rankpool/detail/core.hpp"
#include "rankpool/detail/result_states.hpp"
#include "rankpool/outcome.hpp"

namespace rankpool {

/// One streamed result: which task, and its value.
template <class T>
struct StreamItem {
  std::uint64_t index = 0;  ///< as TaskOutcome::index
  T value;
  std::uint64_t position = 0;  ///< the task's place in the call (request order, from 0)
};

/// Results as they finish (imap_unordered) or in request order (imap). Only a
/// window of results is out or buffered at any time, so the master's memory
/// stays flat however many tasks there are. Use on the master only.
///
///     for (long value : pool.imap_unordered(Square{}, 1'000'000)) total += value;
///
/// In a range-for a failed task throws its RemoteError at its turn; next()
/// and next_outcome() let the loop go on past it.
template <class T>
class ResultStream {
 public:
  ResultStream(std::shared_ptr<detail::Core> core, std::shared_ptr<detail::StreamState> state, std::string job)
      : core_(std::move(core)), state_(std::move(state)), job_(std::move(job)) {}

  /// The next result, or nothing when all are taken. A task that threw raises
  /// RemoteError at its turn; the stream goes on after it. TimeoutError if
  /// none arrives within `timeout`.
  std::optional<StreamItem<T>> next(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    auto outcome = next_outcome(timeout);
    if (!outcome) return std::nullopt;
    if (outcome->error) throw *outcome->error;
    return StreamItem<T>{outcome->index, std::move(*outcome->value), outcome->position};
  }
  /// The next task's value or error, or nothing when all are taken. Where
  /// the call's input failed on the master, the results before that point
  /// come first, then what the input threw.
  std::optional<TaskOutcome<T>> next_outcome(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    std::optional<TaskResult> result;
    bool finished = false;
    const bool arrived = core_->wait_until(
        [&] {
          finished = state_->finished();
          if (!finished && state_->available()) result = state_->take();
          return finished || result.has_value();
        },
        detail::deadline_after(timeout));
    if (!arrived) throw TimeoutError("no result arrived in " + std::to_string(timeout->count()) + " s");
    if (!result) {
      if (state_->error() && !error_raised_) {
        error_raised_ = true;
        std::rethrow_exception(state_->error());
      }
      return std::nullopt;
    }
    return detail::to_outcome<T>(*core_, *result, job_);
  }

  /// An input iterator over the values (a range-for).
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(ResultStream* stream) : stream_(stream) { ++*this; }
    T& operator*() const { return const_cast<T&>(*current_); }
    iterator& operator++() {
      auto item = stream_->next();
      if (item)
        current_ = std::move(item->value);
      else
        stream_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return stream_ == nullptr; }

   private:
    ResultStream* stream_ = nullptr;
    std::optional<T> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  std::shared_ptr<detail::Core> core_;
  std::shared_ptr<detail::StreamState> state_;
  std::string job_;
  bool error_raised_ = false;
};

}  // namespace rankpool
