#pragma once
/// \file
/// TaskSet: the task indices a call runs, either a range or an explicit list.

#include <cstdint>
#include <memory>
#include <vector>

namespace rankpool {

/// The indices of the tasks one call runs, in request order. A range costs no
/// memory, so a stream over 10^6 tasks keeps the master flat; a list allows
/// repeats and arbitrary order (`--numbers 5,3,5`, or a resume's missing tasks).
class TaskSet {
 public:
  /// Indices 0 .. count-1.
  TaskSet(std::uint64_t count = 0) : first_(0), count_(count) {}  // NOLINT: implicit by design
  /// An explicit list of indices.
  TaskSet(std::vector<std::uint64_t> indices)  // NOLINT
      : list_(std::make_shared<const std::vector<std::uint64_t>>(std::move(indices))), count_(list_->size()) {}
  /// Indices first .. first+count-1.
  static TaskSet range(std::uint64_t first, std::uint64_t count) {
    TaskSet set(count);
    set.first_ = first;
    return set;
  }

  std::uint64_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// The task index at a position in request order.
  std::uint64_t operator[](std::uint64_t position) const noexcept {
    return list_ ? (*list_)[position] : first_ + position;
  }

 private:
  std::shared_ptr<const std::vector<std::uint64_t>> list_;
  std::uint64_t first_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace rankpool
