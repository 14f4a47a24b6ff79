#include "reposts/rate_limiter.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

namespace rankpool::reposts {

RateLimiter::RateLimiter(double rate, double burst)
    : rate_(rate), burst_(burst), tokens_(burst), last_(Clock::now()) {
  if (!(rate > 0.0)) {
    throw std::invalid_argument("rate limiter: rate must be > 0, got " + std::to_string(rate));
  }
  if (!(burst >= 1.0)) {
    throw std::invalid_argument("rate limiter: burst must be >= 1, got " + std::to_string(burst));
  }
}

void RateLimiter::refill(Clock::time_point now) {
  std::chrono::duration<double> elapsed = now - last_;
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
}

void RateLimiter::acquire() {
  std::chrono::duration<double> wait{0.0};
  {
    std::lock_guard lock(mutex_);
    refill(Clock::now());
    tokens_ -= 1.0;
    if (tokens_ < 0.0) {
      wait = std::chrono::duration<double>(-tokens_ / rate_);
    }
  }
  if (wait.count() > 0.0) {
    std::this_thread::sleep_for(wait);
  }
}

bool RateLimiter::try_acquire() {
  std::lock_guard lock(mutex_);
  refill(Clock::now());
  if (tokens_ < 1.0) {
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

}  // namespace rankpool::reposts
