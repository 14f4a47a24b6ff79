// The master's scheduling arithmetic: task-time estimates, automatic
// hand-out sizes (factoring), map's zig-zag deal and its positions.
#include "rankpool/detail/schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <vector>

#include "rankpool/backoff.hpp"

namespace rankpool::detail {
namespace {

TEST(Schedule, TaskClockKnowsNothingUntilAResultThenFollowsRecentMessages) {
  TaskClock clock;
  EXPECT_FALSE(clock.per_task());
  clock.add(0.010, 10);
  ASSERT_TRUE(clock.per_task());
  EXPECT_DOUBLE_EQ(*clock.per_task(), 0.001);
  for (int i = 0; i < 40; ++i) clock.add(0.050, 10);  // the tasks got slower
  EXPECT_NEAR(*clock.per_task(), 0.005, 1e-6);
  clock.add(1.0, 0);  // no tasks: no information
  EXPECT_NEAR(*clock.per_task(), 0.005, 1e-6);
}

TEST(Schedule, AutoChunkIsOneTaskUntilTimesAreKnown) {
  EXPECT_EQ(auto_chunk(std::nullopt, std::nullopt, 2), 1u);
  EXPECT_EQ(auto_chunk(std::nullopt, 1000, 2), 1u);
}

TEST(Schedule, AutoChunkCarriesAboutTwoMillisecondsOfWork) {
  EXPECT_EQ(auto_chunk(1e-4, std::nullopt, 2), 20u);  // 0.1 ms tasks
  EXPECT_EQ(auto_chunk(2e-3, std::nullopt, 2), 1u);   // 2 ms tasks
  EXPECT_EQ(auto_chunk(1.0, std::nullopt, 2), 1u);    // long tasks: one at a time
  EXPECT_EQ(auto_chunk(0.0, std::nullopt, 2), kMaxChunkTasks);
  EXPECT_EQ(auto_chunk(1e-9, std::nullopt, 2), kMaxChunkTasks);
}

TEST(Schedule, AutoChunkShrinksTowardTheEndByFactoring) {
  // ceil(remaining / (2 workers)), never more than the time-based size.
  EXPECT_EQ(auto_chunk(1e-6, 1000, 2), 250u);
  EXPECT_EQ(auto_chunk(1e-6, 9, 2), 3u);
  EXPECT_EQ(auto_chunk(1e-6, 1, 2), 1u);
  EXPECT_EQ(auto_chunk(1e-6, 0, 2), 1u);
  EXPECT_EQ(auto_chunk(1e-4, 1'000'000, 16), 20u);
  // A whole list handed out by factoring: sizes never grow and end at one.
  std::uint64_t remaining = 10'000;
  std::vector<std::uint64_t> sizes;
  while (remaining > 0) {
    const std::uint64_t size = std::min(remaining, auto_chunk(1e-6, remaining, 4));
    sizes.push_back(size);
    remaining -= size;
  }
  EXPECT_TRUE(std::is_sorted(sizes.rbegin(), sizes.rend()));
  EXPECT_EQ(sizes.back(), 1u);
  EXPECT_EQ(sizes.front(), 1250u);
}

TEST(Schedule, MapChunkIsAboutAQuarterThousandthOfAShare) {
  EXPECT_EQ(auto_map_chunk(20005, 2), 40u);
  EXPECT_EQ(auto_map_chunk(10, 2), 1u);
  EXPECT_EQ(auto_map_chunk(std::nullopt, 2), 16u);
}

TEST(Schedule, MapLeavesTheLastEighthOfALongListToDynamicHandOuts) {
  EXPECT_EQ(map_tail(20005, 2), 2500u);
  EXPECT_EQ(map_tail(32, 2), 4u);
  EXPECT_EQ(map_tail(31, 2), 0u);  // short lists are all scattered
  EXPECT_EQ(map_tail(0, 2), 0u);
}

TEST(Schedule, ZigZagDealsBackAndForth) {
  std::vector<std::size_t> got;
  for (std::uint64_t chunk = 0; chunk < 9; ++chunk) got.push_back(zigzag_worker(chunk, 3));
  EXPECT_EQ(got, (std::vector<std::size_t>{0, 1, 2, 2, 1, 0, 0, 1, 2}));
  EXPECT_EQ(zigzag_worker(5, 1), 0u);
}

TEST(Schedule, ZigZagDealBalancesCostsThatGrowAlongTheList) {
  // Cost = position: a cyclic deal gives the last worker more every round; zig-zag evens it.
  const std::uint64_t chunks = 64;
  std::vector<double> zigzag(4, 0), cyclic(4, 0);
  for (std::uint64_t chunk = 0; chunk < chunks; ++chunk) {
    zigzag[zigzag_worker(chunk, 4)] += static_cast<double>(chunk);
    cyclic[chunk % 4] += static_cast<double>(chunk);
  }
  const auto spread = [](const std::vector<double>& load) {
    return *std::max_element(load.begin(), load.end()) - *std::min_element(load.begin(), load.end());
  };
  EXPECT_EQ(spread(zigzag), 0.0);
  EXPECT_EQ(spread(cyclic), 48.0);
}

TEST(Schedule, ZigZagCursorWalksEachWorkersShareInDealOrder) {
  // Deal 23 tasks in chunks of 3 to 3 workers; each cursor must name exactly
  // the positions of its worker's chunks, in order, and together all of them once.
  const std::uint64_t tasks = 23, chunk = 3;
  const std::size_t workers = 3;
  std::map<std::size_t, std::vector<std::uint64_t>> shares;
  for (std::uint64_t position = 0; position < tasks; ++position)
    shares[zigzag_worker(position / chunk, workers)].push_back(position);
  std::vector<std::uint64_t> all;
  for (std::size_t w = 0; w < workers; ++w) {
    ZigZagCursor cursor(w, workers, chunk);
    for (std::uint64_t expected : shares[w]) {
      const std::uint64_t position = cursor.next();
      EXPECT_EQ(position, expected) << "worker " << w;
      all.push_back(position);
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<std::uint64_t> every(tasks);
  std::iota(every.begin(), every.end(), 0u);
  EXPECT_EQ(all, every);
}

TEST(Schedule, WaitPolicyWordsRoundTrip) {
  for (WaitPolicy policy : {WaitPolicy::kAuto, WaitPolicy::kBlock, WaitPolicy::kBackoff})
    EXPECT_EQ(parse_wait_policy(wait_policy_name(policy)), policy);
  EXPECT_FALSE(parse_wait_policy("spin"));
  EXPECT_FALSE(parse_wait_policy(""));
}

}  // namespace
}  // namespace rankpool::detail
