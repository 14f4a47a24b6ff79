#pragma once
/// \file
/// TaskOutcome<R>: one task's value or its error, for calls that return every
/// outcome instead of throwing at the first failure.

#include <cstdint>
#include <optional>

#include "rankpool/errors.hpp"

namespace rankpool {

/// What became of one task: its value, or the RemoteError it failed with
/// (as `asyncio.gather(return_exceptions=True)` gives).
template <class R>
struct TaskOutcome {
  std::uint64_t index = 0;  ///< the task's index (typed arguments: its position in the call)
  int rank = 0;             ///< the rank that ran it
  double start = 0;         ///< system-clock seconds on that rank
  double end = 0;
  std::optional<R> value;
  std::optional<RemoteError> error;

  bool ok() const noexcept { return value.has_value(); }
  /// The value; throws the task's RemoteError if it failed.
  const R& get() const {
    if (error) throw *error;
    return *value;
  }
};

}  // namespace rankpool
