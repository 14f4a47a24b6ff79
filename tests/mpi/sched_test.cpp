// The scheduler: adaptive hand-outs (several apply_async calls per message,
// explicit chunksizes honoured), map's zig-zag deal with results as they
// finish, and both wait policies, switched within one session.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pool_fixture.hpp"
#include "rankpool/rankpool.hpp"
#include "test_jobs.hpp"

namespace rankpool::testing {
namespace {

/// Puts the pool's settings back however a test ends.
struct Restore {
  Pool& pool;
  WaitPolicy policy = pool.wait_policy();
  ~Restore() {
    pool.set_wait_policy(policy);
    pool.set_async_chunksize(0);
  }
};

/// Keeps every worker (or the master's stand-in) busy with naps, so what is
/// submitted next queues up behind them.
std::vector<AsyncResult<std::uint64_t>> occupy(Pool& pool, int millis) {
  std::vector<AsyncResult<std::uint64_t>> naps;
  for (int i = 0; i < 2 * std::max(pool.workers(), 1); ++i) naps.push_back(pool.apply_async(Nap{millis}, 1));
  return naps;
}

std::vector<std::uint64_t> chunk_sizes_of_queued_calls(Pool& pool, std::uint64_t calls) {
  const LoadedJob<ChunkSize> job = pool.load(ChunkSize{});
  pool.map(job, 64);  // the job's task time is known from here on
  auto naps = occupy(pool, 300);
  std::vector<AsyncResult<std::uint64_t>> queued;
  for (std::uint64_t i = 0; i < calls; ++i) queued.push_back(pool.apply_async(job, i));
  std::vector<std::uint64_t> sizes;
  for (auto& result : queued) sizes.push_back(result.get());
  for (auto& nap : naps) nap.get();
  return sizes;
}

TEST_F(PoolTest, QueuedApplyAsyncCallsOfOneJobShareAHandOut) {
  Restore restore{pool()};
  const auto sizes = chunk_sizes_of_queued_calls(pool(), 400);
  EXPECT_GT(*std::max_element(sizes.begin(), sizes.end()), 1u);
  // Every call ran in a hand-out of its own size: k calls answered "k" per message of k.
  std::map<std::uint64_t, std::uint64_t> calls_by_size;
  for (std::uint64_t size : sizes) ++calls_by_size[size];
  for (const auto& [size, count] : calls_by_size) EXPECT_EQ(count % size, 0u) << "hand-outs of " << size;
}

TEST_F(PoolTest, AnExplicitApplyAsyncChunksizeWins) {
  Restore restore{pool()};
  pool().set_async_chunksize(1);
  for (std::uint64_t size : chunk_sizes_of_queued_calls(pool(), 100)) EXPECT_EQ(size, 1u);
  pool().set_async_chunksize(7);
  const auto sizes = chunk_sizes_of_queued_calls(pool(), 100);
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 7u);
}

TEST_F(PoolTest, InterleavedCallsOfTwoJobsGetTheirOwnResults) {
  std::vector<AsyncResult<long>> results;
  for (std::uint64_t i = 0; i < 3000; ++i) results.push_back(pool().apply_async(Square{i % 3 == 0 ? 5 : 0}, i));
  for (std::uint64_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i].get(), static_cast<long>(i * i) + (i % 3 == 0 ? 5 : 0)) << "call " << i;
}

TEST_F(PoolTest, AnExplicitStreamChunksizeWins) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t size : pool().imap(ChunkSize{}, 100, 7)) sizes.push_back(size);
  ASSERT_EQ(sizes.size(), 100u);
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), 7u), 98);  // 14 chunks of 7, one of 2
  EXPECT_EQ(std::count(sizes.begin(), sizes.end(), 2u), 2);
}

TEST_F(PoolTest, AutomaticStreamsGrowTheirHandOutsAndStayWithinTheWindow) {
  std::uint64_t largest = 0, count = 0;
  std::set<std::uint64_t> seen;
  auto stream = pool().imap_unordered(ChunkSize{}, 30000);
  while (auto item = stream.next()) {
    largest = std::max(largest, item->value);
    EXPECT_TRUE(seen.insert(item->index).second);
    ++count;
  }
  EXPECT_EQ(count, 30000u);
  EXPECT_GT(largest, 1u);
  EXPECT_LE(largest, 1024u);  // the stream's window
  std::uint64_t expect = 0;
  for (long value : pool().imap(Square{0}, 20000)) {
    ASSERT_EQ(value, static_cast<long>(expect * expect));
    ++expect;
  }
  EXPECT_EQ(expect, 20000u);
}

TEST_F(PoolTest, MapDealsEveryTaskOnceWhateverTheChunksizeAndCount) {
  for (std::uint64_t tasks : {1, 2, 3, 7, 64, 1001})
    for (std::uint64_t chunksize : {0, 1, 2, 5, 400}) {
      std::vector<long> expected;
      for (std::uint64_t i = 0; i < tasks; ++i) expected.push_back(static_cast<long>(i * i) + 1);
      EXPECT_EQ(pool().map(Square{1}, tasks, chunksize), expected) << tasks << " tasks, chunksize " << chunksize;
      EXPECT_EQ(pool().map_async(Square{1}, tasks, chunksize).get(), expected)
          << tasks << " tasks, chunksize " << chunksize;
    }
  std::vector<std::string> words;
  for (int i = 0; i < 999; ++i) words.push_back(std::string(static_cast<std::size_t>(i % 31), 'w'));
  const auto lengths = pool().map(WordLength{}, words, 3);
  ASSERT_EQ(lengths.size(), words.size());
  for (std::size_t i = 0; i < words.size(); ++i) EXPECT_EQ(lengths[i], words[i].size());
}

TEST_F(PoolTest, MapValuesGivesEveryValueAndTheFailedPositions) {
  for (std::uint64_t chunksize : {0, 1, 3}) {
    const MapValues<std::uint64_t> all = pool().map_values(Thrower{4}, 30, chunksize);
    ASSERT_EQ(all.values.size(), 30u);
    EXPECT_EQ(all.failed, (std::vector<std::uint64_t>{3, 7, 11, 15, 19, 23, 27}));
    ASSERT_EQ(all.errors.size(), all.failed.size());
    for (std::size_t i = 0; i < all.failed.size(); ++i) {
      EXPECT_EQ(all.errors[i].failure().index, all.failed[i]);
      EXPECT_EQ(all.errors[i].failure().message, "boom at " + std::to_string(all.failed[i]));
    }
    for (std::uint64_t position = 0; position < 30; ++position) {
      EXPECT_EQ(all.ok(position), (position + 1) % 4 != 0);
      if (all.ok(position)) {
        EXPECT_EQ(all.values[position], position);
      }
    }
  }
  // Indices given as a list (repeats included) keep their positions.
  const auto listed = pool().map_values(Thrower{4}, std::vector<std::uint64_t>{3, 1, 3, 2});
  EXPECT_EQ(listed.failed, (std::vector<std::uint64_t>{0, 2}));
  EXPECT_EQ(listed.values[1], 1u);
  EXPECT_EQ(listed.values[3], 2u);
  EXPECT_TRUE(pool().map_values(Square{0}, 0).values.empty());
}

TEST_F(PoolTest, MapsAndDynamicCallsInterleave) {
  auto first = pool().map_async(Nap{20}, 10, 1);
  auto second = pool().map_async(Blob{}, 300);
  std::vector<AsyncResult<long>> singles;
  for (std::uint64_t i = 0; i < 50; ++i) singles.push_back(pool().apply_async(Square{0}, i));
  std::uint64_t streamed = 0;
  for (long value : pool().imap_unordered(Square{0}, 500)) streamed += value >= 0 ? 1 : 0;
  EXPECT_EQ(streamed, 500u);
  const auto blobs = second.get();
  ASSERT_EQ(blobs.size(), 300u);
  for (std::uint64_t i = 0; i < 300; ++i) EXPECT_EQ(blobs[i], Blob{}(i)) << "index " << i;
  for (std::uint64_t i = 0; i < 50; ++i) EXPECT_EQ(singles[i].get(), static_cast<long>(i * i));
  EXPECT_EQ(first.get(), (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(PoolTest, BothWaitPoliciesWorkAndMaySwitchBetweenCalls) {
  Restore restore{pool()};
  EXPECT_NE(pool().wait_policy(), WaitPolicy::kAuto);
  for (WaitPolicy policy : {WaitPolicy::kBlock, WaitPolicy::kBackoff, WaitPolicy::kBlock, WaitPolicy::kAuto}) {
    pool().set_wait_policy(policy);
    if (policy != WaitPolicy::kAuto) {
      EXPECT_EQ(pool().wait_policy(), policy);
    }
    EXPECT_EQ(pool().map(Square{0}, 50), pool().serial(Square{0}, 50));
    auto pending = pool().map_async(Square{2}, 40, 3);
    EXPECT_EQ(pool().map(Thrower{1000}, 30, 4).size(), 30u);
    EXPECT_EQ(pending.get(), pool().serial(Square{2}, 40));
    EXPECT_EQ(pool().apply(Square{0}, 9), 81);
    std::uint64_t count = 0;
    for (long value : pool().imap(Square{0}, 200)) count += value >= 0 ? 1 : 0;
    EXPECT_EQ(count, 200u);
  }
}

}  // namespace
}  // namespace rankpool::testing
