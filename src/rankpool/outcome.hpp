#pragma once
/// \file
/// TaskOutcome<R>: one task's value or its error, for calls that return every
/// outcome instead of throwing at the first failure.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "rankpool/errors.hpp"

namespace rankpool {

/// What became of one task: its value, or the RemoteError it failed with
/// (as `asyncio.gather(return_exceptions=True)` gives).
template <class R>
struct TaskOutcome {
  /// The task index the job ran with: for a job over task indices, that
  /// index; a typed argument has none of its own, and its index is its position.
  std::uint64_t index = 0;
  int rank = 0;      ///< the rank that ran it
  double start = 0;  ///< system-clock seconds on that rank
  double end = 0;
  std::optional<R> value;
  std::optional<RemoteError> error;
  /// The task's place in the call (request order, from 0), for every job: the
  /// one field that always means the same.
  std::uint64_t position = 0;

  bool ok() const noexcept { return value.has_value(); }
  /// The value; throws the task's RemoteError if it failed.
  const R& get() const {
    if (error) throw *error;
    return *value;
  }
};

/// Every task's value and the tasks that failed (Pool::map_values): the
/// values alone cost what they weigh, where a TaskOutcome per task carries
/// its rank, times and room for an error.
template <class R>
struct MapValues {
  std::vector<R> values;              ///< by position in the call; a failed task's slot holds R{}
  std::vector<std::uint64_t> failed;  ///< positions of the tasks that failed, ascending
  std::vector<RemoteError> errors;    ///< their errors, in the same order

  bool ok(std::uint64_t position) const noexcept { return !std::binary_search(failed.begin(), failed.end(), position); }
};

}  // namespace rankpool
