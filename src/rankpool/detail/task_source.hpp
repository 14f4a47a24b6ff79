#pragma once
/// \file
/// TaskSource: where one call's tasks come from, consumed as they are handed
/// out, so a lazy range of 10^7 arguments never sits in the master's memory.

#include <algorithm>
#include <cstdint>
#include <exception>
#include <iterator>
#include <optional>
#include <ranges>
#include <string>
#include <utility>

#include "rankpool/codec.hpp"
#include "rankpool/detail/protocol.hpp"
#include "rankpool/task_set.hpp"

namespace rankpool::detail {

class TaskSource {
 public:
  virtual ~TaskSource() = default;
  /// How the tasks' arguments travel.
  virtual ArgKind kind() const noexcept = 0;
  /// Writes up to `max` more tasks into `out` (see write_task); returns how
  /// many. `position` is the first one's place in the call (request order).
  /// Never throws: where reading the input (or encoding an argument) throws,
  /// the tasks before it are returned, and error() holds the exception.
  virtual std::uint64_t take(std::uint64_t max, std::uint64_t position, ByteWriter& out) = 0;
  /// Whether every task has been taken (or the input failed).
  virtual bool exhausted() const = 0;
  /// Tasks not yet taken, where known.
  virtual std::optional<std::uint64_t> remaining() const { return std::nullopt; }
  /// What reading the input threw, if it did; the source is then exhausted.
  const std::exception_ptr& error() const noexcept { return error_; }

 protected:
  std::exception_ptr error_;
};

/// Task indices: a range or a list (the index form).
class IndexSource final : public TaskSource {
 public:
  explicit IndexSource(TaskSet tasks) : tasks_(std::move(tasks)) {}
  ArgKind kind() const noexcept override { return ArgKind::kIndex; }
  std::uint64_t take(std::uint64_t max, std::uint64_t /*position*/, ByteWriter& out) override {
    const std::uint64_t count = std::min(max, tasks_.size() - next_);
    for (std::uint64_t i = 0; i < count; ++i) write_task(out, ArgKind::kIndex, tasks_[next_ + i], {});
    next_ += count;
    return count;
  }
  bool exhausted() const override { return next_ >= tasks_.size(); }
  std::optional<std::uint64_t> remaining() const override { return tasks_.size() - next_; }

 private:
  TaskSet tasks_;
  std::uint64_t next_ = 0;
};

/// Arguments from any input range, consumed lazily as tasks are handed out.
/// Typed arguments travel encoded, and each task's index is its position in
/// the call; with `Index`, the range holds task indices.
template <class A, std::ranges::input_range View, bool Index = false>
class RangeSource final : public TaskSource {
 public:
  explicit RangeSource(View view) : view_(std::move(view)), it_(std::ranges::begin(view_)) {}
  ArgKind kind() const noexcept override { return Index ? ArgKind::kIndex : ArgKind::kTyped; }
  std::uint64_t take(std::uint64_t max, std::uint64_t position, ByteWriter& out) override {
    std::uint64_t count = 0;
    std::string bytes;
    try {
      // A task is written whole or not at all: the encoding comes first.
      for (; count < max && !exhausted(); ++count) {
        if constexpr (Index) {
          const auto index = static_cast<std::uint64_t>(*it_);
          write_task(out, ArgKind::kIndex, index, {});
        } else {
          Codec<A>::encode(static_cast<const A&>(*it_), bytes);
          write_task(out, ArgKind::kTyped, position + count, bytes);
        }
        ++it_;
      }
    } catch (...) {
      error_ = std::current_exception();
    }
    taken_ += count;
    return count;
  }
  bool exhausted() const override { return error_ || it_ == std::ranges::end(view_); }
  std::optional<std::uint64_t> remaining() const override {
    if (error_) return 0;
    if constexpr (std::ranges::sized_range<View>)
      return static_cast<std::uint64_t>(std::ranges::size(view_)) - taken_;
    else
      return std::nullopt;
  }

 private:
  mutable View view_;
  std::ranges::iterator_t<View> it_;
  std::uint64_t taken_ = 0;
};

}  // namespace rankpool::detail
