#pragma once
/// \file
/// The sinks behind AsyncResult and ResultStream.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "rankpool/task_result.hpp"

namespace rankpool::detail {

/// Collects a fixed number of results by position; calls `on_complete` once.
class CollectState final : public ResultSink {
 public:
  explicit CollectState(std::uint64_t expected) : expected_(expected), results_(expected) {}
  void deliver(TaskResult&& result) override {
    results_[result.position] = std::move(result);
    if (++received_ == expected_ && on_complete) on_complete(results_);
  }
  bool complete() const noexcept { return received_ == expected_; }
  std::vector<TaskResult>& results() noexcept { return results_; }

  std::function<void(std::vector<TaskResult>&)> on_complete;

 private:
  std::uint64_t expected_;
  std::uint64_t received_ = 0;
  std::vector<TaskResult> results_;
};

/// Buffers streamed results, in order or as they come, up to a window.
class StreamState final : public ResultSink {
 public:
  StreamState(std::uint64_t total, bool ordered, std::uint64_t window)
      : total_(total), ordered_(ordered), window_(window) {}

  void deliver(TaskResult&& result) override {
    if (ordered_)
      waiting_.emplace(result.position, std::move(result));
    else
      ready_.push_back(std::move(result));
  }
  bool wants_more(std::uint64_t in_flight) const override {
    return in_flight + waiting_.size() + ready_.size() < window_;
  }
  bool available() const {
    return ordered_ ? !waiting_.empty() && waiting_.begin()->first == taken_ : !ready_.empty();
  }
  bool finished() const noexcept { return taken_ == total_; }
  TaskResult take() {
    TaskResult out;
    if (ordered_) {
      out = std::move(waiting_.begin()->second);
      waiting_.erase(waiting_.begin());
    } else {
      out = std::move(ready_.front());
      ready_.pop_front();
    }
    ++taken_;
    return out;
  }

 private:
  std::uint64_t total_;
  bool ordered_;
  std::uint64_t window_;
  std::uint64_t taken_ = 0;
  std::map<std::uint64_t, TaskResult> waiting_;
  std::deque<TaskResult> ready_;
};

}  // namespace rankpool::detail
