#include "rankpool/backoff.hpp"

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
  timespec request{static_cast<time_t>(sleep_us_ / 1000000), static_cast<long>(sleep_us_ % 1000000) * 1000};
  nanosleep(&request, nullptr);
  if (sleep_us_ < cap_us_) sleep_us_ = sleep_us_ * 2 > cap_us_ ? cap_us_ : sleep_us_ * 2;
}

void Backoff::tune_timer_slack() noexcept {
#if defined(__linux__)
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
}

}  // namespace rankpool
