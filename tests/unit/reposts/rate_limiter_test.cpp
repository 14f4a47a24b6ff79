#include "reposts/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace rankpool::reposts {
namespace {

using testing::seconds_since;

TEST(RateLimiter, RejectsBadSettings) {
  EXPECT_THROW(RateLimiter(0.0), std::invalid_argument);
  EXPECT_THROW(RateLimiter(-1.0), std::invalid_argument);
  EXPECT_THROW(RateLimiter(10.0, 0.5), std::invalid_argument);
}

TEST(RateLimiter, BurstThenPaced) {
  RateLimiter limiter(100.0, 3.0);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire()) << "burst used up";
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    limiter.acquire();
  }
  // 10 tokens at 100/s: about 100 ms (a little less: refill during the checks).
  auto elapsed = seconds_since(start);
  EXPECT_GE(elapsed, 0.08);  // it waits; how much longer a loaded machine takes is not its business
}

TEST(RateLimiter, SharedAcrossThreads) {
  RateLimiter limiter(200.0);
  std::atomic<int> done{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        limiter.acquire();
        ++done;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(done.load(), 40);
  // 40 tokens at 200/s, one at start: at least 195 ms.
  auto elapsed = seconds_since(start);
  EXPECT_GE(elapsed, 0.18);
}

}  // namespace
}  // namespace rankpool::reposts
