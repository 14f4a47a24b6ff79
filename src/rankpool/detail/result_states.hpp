#pragma once
/// \file
/// The sinks behind AsyncResult and ResultStream.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/task_result.hpp"

namespace rankpool::detail {

/// Collects every result of a call by position; calls `on_complete` once.
class CollectState final : public ResultSink {
 public:
  explicit CollectState(std::optional<std::uint64_t> expected = std::nullopt) : expected_(expected) {
    if (expected_) results_.resize(*expected_);
  }
  void deliver(TaskResult&& result) override {
    if (error_) return;
    if (result.position >= results_.size()) results_.resize(result.position + 1);
    results_[result.position] = std::move(result);
    ++received_;
    maybe_complete();
  }
  void set_total(std::uint64_t total) override {
    expected_ = total;
    if (results_.size() < total) results_.resize(total);
    maybe_complete();
  }
  void fail(std::exception_ptr error, std::uint64_t /*position*/) override {
    if (error_ || completed_) return;
    error_ = std::move(error);
    completed_ = true;
    if (on_error) on_error(error_);
  }
  bool complete() const noexcept { return error_ || (expected_ && received_ == *expected_); }
  /// The call's input failed on the master (see ResultSink::fail).
  const std::exception_ptr& error() const noexcept { return error_; }
  std::vector<TaskResult>& results() noexcept { return results_; }

  std::function<void(std::vector<TaskResult>&)> on_complete;
  std::function<void(const std::exception_ptr&)> on_error;

 private:
  void maybe_complete() {
    if (complete() && !completed_) {
      completed_ = true;
      if (on_complete) on_complete(results_);
    }
  }
  std::exception_ptr error_;
  std::optional<std::uint64_t> expected_;
  std::uint64_t received_ = 0;
  bool completed_ = false;
  std::vector<TaskResult> results_;
};

/// Collects a map's values straight into the vector the call returns, so the
/// master holds little more than the results themselves; failed (and
/// cancelled) tasks are kept whole, in request order once complete.
template <class R>
class ValuesState final : public ResultSink {
 public:
  void deliver(TaskResult&& result) override {
    if (error_) return;
    if (result.ok) {
      // Sized at the first value, after the call's scatter buffer is gone.
      if (values_.size() < expected_.value_or(0)) values_.resize(*expected_);
      if (result.position >= values_.size()) values_.resize(result.position + 1);
      if constexpr (std::is_same_v<R, std::string>)
        values_[result.position] = std::move(result.payload);
      else
        values_[result.position] = Codec<R>::decode(result.payload);
    } else {
      failures_.push_back(std::move(result));
    }
    ++received_;
    finish_if_complete();
  }
  void set_total(std::uint64_t total) override {
    expected_ = total;
    finish_if_complete();
  }
  void fail(std::exception_ptr error, std::uint64_t /*position*/) override {
    if (!error_) error_ = std::move(error);
  }
  bool complete() const noexcept { return error_ || (expected_ && received_ == *expected_); }
  /// The call's input failed on the master (see ResultSink::fail).
  const std::exception_ptr& error() const noexcept { return error_; }
  /// Every task's value by position (a failed task's slot holds R{}).
  std::vector<R>& values() noexcept { return values_; }
  /// The tasks that failed, in request order (once complete).
  std::vector<TaskResult>& failures() noexcept { return failures_; }

 private:
  void finish_if_complete() {
    if (!complete()) return;
    if (values_.size() < *expected_) values_.resize(*expected_);
    std::sort(failures_.begin(), failures_.end(),
              [](const TaskResult& a, const TaskResult& b) { return a.position < b.position; });
  }
  std::optional<std::uint64_t> expected_;
  std::uint64_t received_ = 0;
  std::exception_ptr error_;
  std::vector<R> values_;
  std::vector<TaskResult> failures_;
};

/// Buffers streamed results, in order or as they come, up to a window.
class StreamState final : public ResultSink {
 public:
  StreamState(bool ordered, std::uint64_t window) : ordered_(ordered), window_(window) {}

  void deliver(TaskResult&& result) override {
    if (total_ && result.position >= *total_) return;  // past a failed input
    if (ordered_)
      waiting_.emplace(result.position, std::move(result));
    else
      ready_.push_back(std::move(result));
  }
  void set_total(std::uint64_t total) override { total_ = total; }
  void fail(std::exception_ptr error, std::uint64_t position) override {
    if (error_) return;
    error_ = std::move(error);
    total_ = position;
    std::erase_if(waiting_, [position](const auto& entry) { return entry.first >= position; });
  }
  /// Once every result before it is taken: the input's failure (see ResultSink::fail).
  const std::exception_ptr& error() const noexcept { return error_; }
  bool wants_more(std::uint64_t in_flight) const override {
    return in_flight + waiting_.size() + ready_.size() < window_;
  }
  bool available() const { return ordered_ ? !waiting_.empty() && waiting_.begin()->first == taken_ : !ready_.empty(); }
  bool finished() const noexcept { return total_ && taken_ == *total_; }
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
  bool ordered_;
  std::uint64_t window_;
  std::optional<std::uint64_t> total_;
  std::uint64_t taken_ = 0;
  std::exception_ptr error_;
  std::map<std::uint64_t, TaskResult> waiting_;
  std::deque<TaskResult> ready_;
};

}  // namespace rankpool::detail
