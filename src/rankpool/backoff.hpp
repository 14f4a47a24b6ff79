#pragma once
/// \file
/// Backoff: how rankpool waits without spinning a core.

#include <chrono>
#include <cstdint>

namespace rankpool {

/// Polls a few rounds, then sleeps; each sleep is at most an eighth of the
/// time already spent idle, and at most `cap_us`. So waking late costs at
/// most ~12 % of an idle spell, a short wait stays short, and a long one
/// settles at one wake-up per `cap_us` (10 ms: an idle rank costs ~0.2 % of
/// a core, where 1 ms cost 1-2 % on a VM). Call reset() when something
/// happened and pause() when nothing did.
///
/// Why not block in MPI: a blocking wait in Open MPI spins a core, which on a
/// laptop with more ranks than cores steals the workers' CPU. Why not a fixed
/// sleep: 1 ms per wait costs ~0.5 ms latency per task.
class Backoff {
 public:
  explicit Backoff(int spins = 64, std::int64_t cap_us = 10000) noexcept : spins_(spins), cap_us_(cap_us) { reset(); }
  void reset() noexcept {
    polls_ = 0;
    idle_since_ = std::chrono::steady_clock::now();
  }
  /// One idle round: returns at once while polling, else sleeps.
  void pause() noexcept;

  /// Lowers this thread's timer slack so a 1 µs sleep is not 50+ µs (Linux).
  static void tune_timer_slack() noexcept;

 private:
  int spins_;
  std::int64_t cap_us_;
  int polls_ = 0;
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace rankpool
