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
#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/result_states.hpp"
#include "rankpool/outcome.hpp"

namespace rankpool {

/// One streamed result: which task, and its value.
template <class T>
struct StreamItem {
  std::uint64_t index = 0;
  T value;
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
  ResultStream(detail::Engine& engine, std::shared_ptr<detail::StreamState> state, std::string job)
      : engine_(&engine), state_(std::move(state)), job_(std::move(job)) {}

  /// The next result, or nothing when all are taken. A task that threw raises
  /// RemoteError at its turn; the stream goes on after it. TimeoutError if
  /// none arrives within `timeout`.
  std::optional<StreamItem<T>> next(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    auto outcome = next_outcome(timeout);
    if (!outcome) return std::nullopt;
    if (outcome->error) throw *outcome->error;
    return StreamItem<T>{outcome->index, std::move(*outcome->value)};
  }
  /// The next task's value or error, or nothing when all are taken.
  std::optional<TaskOutcome<T>> next_outcome(std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    if (state_->finished()) return std::nullopt;
    const bool arrived = engine_->wait_until([this] { return state_->available() || state_->finished(); },
                                             detail::deadline_after(timeout));
    if (!arrived) throw TimeoutError("no result arrived in " + std::to_string(timeout->count()) + " s");
    if (!state_->available()) return std::nullopt;
    TaskResult result = state_->take();
    return detail::to_outcome<T>(*engine_, result, job_);
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
  detail::Engine* engine_;
  std::shared_ptr<detail::StreamState> state_;
  std::string job_;
};

}  // namespace rankpool
