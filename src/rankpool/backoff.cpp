#include "rankpool/backoff.hpp"

#include <algorithm>
#include <ctime>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace rankpool {

void Backoff::pause() noexcept {
  if (polls_ < spins_) {
    ++polls_;
    return;
  }
  const auto idle_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - idle_since_).count();
  const std::int64_t sleep_us = std::clamp<std::int64_t>(idle_us / 8, 1, cap_us_);
  timespec request{static_cast<time_t>(sleep_us / 1000000), static_cast<long>(sleep_us % 1000000) * 1000};
  nanosleep(&request, nullptr);
}

void Backoff::tune_timer_slack() noexcept {
#if defined(__linux__)
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
}

}  // namespace rankpool
