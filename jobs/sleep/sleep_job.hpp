#pragma once
/// \file
/// The sleep job: each task sleeps a fixed time (0: returns at once). The
/// standard way to measure a pool's overhead and latency-bound behaviour.

#include <cstdint>

namespace rankpool::sleep_job {

struct SleepJob {
  static constexpr const char* name = "sleep";
  double seconds = 0;

  /// Sleeps, then returns the task index.
  std::uint64_t operator()(std::uint64_t index) const;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & seconds;
    // clang-format on
  }
};

}  // namespace rankpool::sleep_job
