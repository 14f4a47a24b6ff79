#include "rankpool/backoff.hpp"

#include <algorithm>
#include <ctime>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace rankpool {

std::optional<WaitPolicy> parse_wait_policy(std::string_view word) noexcept {
  if (word == "auto") return WaitPolicy::kAuto;
  if (word == "block") return WaitPolicy::kBlock;
  if (word == "backoff") return WaitPolicy::kBackoff;
  return std::nullopt;
}

const char* wait_policy_name(WaitPolicy policy) noexcept {
  switch (policy) {
    case WaitPolicy::kBlock:
      return "block";
    case WaitPolicy::kBackoff:
      return "backoff";
    case WaitPolicy::kAuto:
      break;
  }
  return "auto";
}

double Backoff::next_pause() noexcept {
  if (polls_ < spins_) {
    ++polls_;
    return 0;
  }
  const auto idle_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - idle_since_).count();
  return static_cast<double>(std::clamp<std::int64_t>(idle_us / 8, 1, cap_us_)) * 1e-6;
}

void sleep_seconds(double seconds) noexcept {
  if (!(seconds > 0)) return;
  const auto whole = static_cast<time_t>(seconds);
  timespec request{whole, static_cast<long>((seconds - static_cast<double>(whole)) * 1e9)};
  nanosleep(&request, nullptr);
}

unsigned long Backoff::tune_timer_slack() noexcept {
#if defined(__linux__)
  const int old = prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  return old > 0 ? static_cast<unsigned long>(old) : 50000UL;
#else
  return 0;
#endif
}

void Backoff::restore_timer_slack(unsigned long slack) noexcept {
#if defined(__linux__)
  if (slack > 0) prctl(PR_SET_TIMERSLACK, slack, 0UL, 0UL, 0UL);
#else
  (void)slack;
#endif
}

}  // namespace rankpool
