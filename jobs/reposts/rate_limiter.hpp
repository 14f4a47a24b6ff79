#pragma once
/// A token bucket that paces requests within one process.

#include <chrono>
#include <mutex>

namespace rankpool::reposts {

/// Token bucket: at most `burst` requests at once, `rate` per second on
/// average. Thread-safe; `acquire()` blocks by sleeping (never spins), and
/// waiting callers are served in the order they arrived.
///
/// It serves the client's `before_request` hook:
/// ```
/// RateLimiter limiter(50.0);
/// options.before_request = [&limiter] { limiter.acquire(); };
/// ```
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// Throws `std::invalid_argument` unless `rate > 0` and `burst >= 1`.
  explicit RateLimiter(double rate, double burst = 1.0);

  /// Takes one token, sleeping until one is available. Blocking.
  void acquire();

  /// Takes one token if one is available now; never blocks.
  [[nodiscard]] bool try_acquire();

  /// Tokens per second.
  [[nodiscard]] double rate() const noexcept { return rate_; }

 private:
  // Refills from elapsed time; call with mutex_ held.
  void refill(Clock::time_point now);

  const double rate_;
  const double burst_;
  std::mutex mutex_;
  // May go negative: each waiter reserves its token, then sleeps off the debt.
  double tokens_;
  Clock::time_point last_;
};

}  // namespace rankpool::reposts
