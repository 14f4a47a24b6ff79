#pragma once
/// \file
/// Backoff: how rankpool waits without spinning a core.

#include <cstdint>

namespace rankpool {

/// Polls first, then sleeps 1 µs, 2 µs, ... up to a cap. Call reset() when
/// something happened and pause() when nothing did. A blocking MPI wait in
/// Open MPI spins a core, which on a laptop with more ranks than cores steals
/// the workers' CPU; a fixed 1 ms sleep costs ~0.5 ms latency per task.
class Backoff {
 public:
  /// `spins` polls without sleeping, then sleeps doubling from 1 µs to `cap_us`.
  explicit Backoff(int spins = 64, std::int64_t cap_us = 1000) noexcept
      : spins_(spins), cap_us_(cap_us) {}
  void reset() noexcept {
    polls_ = 0;
    sleep_us_ = 1;
  }
  /// One idle round: returns at once while spinning, else sleeps.
  void pause() noexcept;

  /// Lowers this thread's timer slack so a 1 µs sleep is not 50+ µs (Linux).
  static void tune_timer_slack() noexcept;

 private:
  int spins_;
  std::int64_t cap_us_;
  int polls_ = 0;
  std::int64_t sleep_us_ = 1;
};

}  // namespace rankpool
