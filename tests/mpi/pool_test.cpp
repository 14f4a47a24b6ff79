#include <atomic>
#include <chrono>
#include <numeric>
#include <set>

#include "pool_fixture.hpp"
#include "support/expect_message.hpp"
#include "test_jobs.hpp"

namespace rankpool::testing {
namespace {

std::vector<long> expected_squares(std::uint64_t n, long offset) {
  std::vector<long> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(static_cast<long>(i * i) + offset);
  return out;
}

TEST_F(PoolTest, WorkersAreEveryRankButTheMaster) { EXPECT_EQ(pool().workers(), g_world_size - 1); }

TEST_F(PoolTest, SerialRunsOnTheMaster) { EXPECT_EQ(pool().serial(Square{3}, 50), expected_squares(50, 3)); }

TEST_F(PoolTest, ApplyReturnsOneResult) { EXPECT_EQ(pool().apply(Square{1}, 12), 145); }

TEST_F(PoolTest, ApplyAsyncResultsArriveInAnyOrderButMatch) {
  std::vector<AsyncResult<long>> results;
  for (std::uint64_t i = 0; i < 40; ++i) results.push_back(pool().apply_async(Square{2}, i));
  for (std::uint64_t i = 0; i < 40; ++i) EXPECT_EQ(results[i].get(), static_cast<long>(i * i) + 2);
}

TEST_F(PoolTest, MapKeepsRequestOrderForEveryChunksize) {
  for (std::uint64_t chunksize : {0, 1, 3, 1000})
    EXPECT_EQ(pool().map(Square{0}, 101, chunksize), expected_squares(101, 0));
}

TEST_F(PoolTest, MapAsyncGathersResultsOfDifferentSizes) {
  auto result = pool().map_async(Blob{}, 60, 4);
  auto blobs = result.get();
  ASSERT_EQ(blobs.size(), 60u);
  for (std::uint64_t i = 0; i < 60; ++i) EXPECT_EQ(blobs[i], Blob{}(i)) << "index " << i;
}

TEST_F(PoolTest, MapRunsAnExplicitListWithRepeats) {
  std::vector<std::uint64_t> indices{5, 3, 5, 0, 9};
  EXPECT_EQ(pool().map(Square{0}, indices), (std::vector<long>{25, 9, 25, 0, 81}));
}

TEST_F(PoolTest, ImapStreamsInRequestOrder) {
  auto stream = pool().imap(Square{0}, 200, 3);
  std::uint64_t expect = 0;
  while (auto item = stream.next()) {
    EXPECT_EQ(item->index, expect);
    EXPECT_EQ(item->value, static_cast<long>(expect * expect));
    ++expect;
  }
  EXPECT_EQ(expect, 200u);
}

TEST_F(PoolTest, ImapUnorderedDeliversEveryTaskOnce) {
  auto stream = pool().imap_unordered(Square{0}, 500);
  std::set<std::uint64_t> seen;
  while (auto item = stream.next()) {
    EXPECT_TRUE(seen.insert(item->index).second);
    EXPECT_EQ(item->value, static_cast<long>(item->index * item->index));
  }
  EXPECT_EQ(seen.size(), 500u);
}

TEST_F(PoolTest, ZeroTasksIsNoWork) {
  EXPECT_TRUE(pool().map(Square{0}, 0).empty());
  EXPECT_TRUE(pool().map_async(Square{0}, 0).get().empty());
  EXPECT_FALSE(pool().imap(Square{0}, 0).next());
  EXPECT_FALSE(pool().imap_unordered(Square{0}, 0).next());
}

TEST_F(PoolTest, MoreWorkersThanTasks) {
  EXPECT_EQ(pool().map(Square{0}, 1), expected_squares(1, 0));
  EXPECT_EQ(pool().map(Square{0}, 2, 1), expected_squares(2, 0));
}

TEST_F(PoolTest, ATaskThatThrowsComesBackAsRemoteErrorAndTheWorkerLivesOn) {
  try {
    pool().apply(Thrower{7}, 6);
    FAIL() << "no exception";
  } catch (const RemoteError& error) {
    EXPECT_EQ(error.failure().job, "thrower");
    EXPECT_EQ(error.failure().index, 6u);
    EXPECT_EQ(error.failure().message, "boom at 6");
    if (g_world_size > 1) {
      EXPECT_GE(error.failure().rank, 1);  // a worker ran it
      EXPECT_LT(error.failure().rank, g_world_size);
    } else {
      EXPECT_EQ(error.failure().rank, 0);  // the master's own thread
    }
    EXPECT_NE(std::string(error.what()).find("thrower task 6 on rank"), std::string::npos) << error.what();
  }
  EXPECT_EQ(pool().apply(Thrower{7}, 5), 5u);
  EXPECT_EQ(pool().map(Square{0}, 10), expected_squares(10, 0));
}

TEST_F(PoolTest, MapRethrowsTheFirstFailedTaskInRequestOrder) {
  try {
    pool().map(Thrower{5}, 30);
    FAIL() << "no exception";
  } catch (const RemoteError& error) {
    EXPECT_EQ(error.failure().index, 4u);
  }
}

TEST_F(PoolTest, ImapRaisesAtTheFailedItemAndGoesOn) {
  auto stream = pool().imap(Thrower{4}, 8);
  std::vector<std::uint64_t> got;
  int errors = 0;
  for (;;) {
    try {
      auto item = stream.next();
      if (!item) break;
      got.push_back(item->value);
    } catch (const RemoteError&) {
      ++errors;
    }
  }
  EXPECT_EQ(errors, 2);
  EXPECT_EQ(got, (std::vector<std::uint64_t>{0, 1, 2, 4, 5, 6}));
}

TEST_F(PoolTest, AsyncResultReadyWaitSuccessfulAndTimeout) {
  auto slow = pool().apply_async(Nap{300}, 1);
  if (pool().workers() > 0) {  // alone, the master runs the task inside ready()
    EXPECT_FALSE(slow.ready());
    EXPECT_THROW_MSG(slow.successful(), UsageError, "result is not ready");
    EXPECT_THROW(slow.get(std::chrono::milliseconds(20)), TimeoutError);
  }
  EXPECT_TRUE(slow.wait(std::chrono::seconds(30)));
  EXPECT_TRUE(slow.ready());
  EXPECT_TRUE(slow.successful());
  EXPECT_EQ(slow.get(), 1u);
  auto failing = pool().apply_async(Thrower{1}, 0);
  failing.wait();
  EXPECT_FALSE(failing.successful());
  EXPECT_THROW(failing.get(), RemoteError);
}

TEST_F(PoolTest, CallbacksRunOnTheMasterWhenResultsArrive) {
  long sum = 0;
  std::string failed;
  std::vector<AsyncResult<long>> results;
  for (std::uint64_t i = 0; i < 10; ++i)
    results.push_back(pool().apply_async(Square{0}, i, [&](const long& value) { sum += value; }));
  auto bad = pool().apply_async(Thrower{1}, 3, {}, [&](const RemoteError& error) { failed = error.failure().message; });
  for (auto& result : results) result.wait();
  bad.wait();
  EXPECT_EQ(sum, 285);
  EXPECT_EQ(failed, "boom at 3");
  std::size_t mapped = 0;
  pool().map_async(Square{0}, 20, 0, [&](const std::vector<long>& all) { mapped = all.size(); }).wait();
  EXPECT_EQ(mapped, 20u);
}

TEST_F(PoolTest, MapAsyncReturnsBeforeTheTasksRun) {
  if (pool().workers() == 0) GTEST_SKIP() << "alone, the master runs the tasks itself";
  auto result = pool().map_async(Nap{1000}, 4, 1);
  // The naps take a second; a map_async that ran them before returning would be ready here.
  EXPECT_FALSE(result.ready());
  EXPECT_EQ(result.get(), (std::vector<std::uint64_t>{0, 1, 2, 3}));
}

TEST_F(PoolTest, PoolOfOneUsesOnlyTheFirstWorker) {
  if (g_world_size < 3) GTEST_SKIP() << "needs two workers";
  pool().resize(1);
  auto stream = pool().imap_unordered(Square{0}, 30);
  std::uint64_t count = 0;
  while (auto item = stream.next()) ++count;
  EXPECT_EQ(count, 30u);
  EXPECT_EQ(pool().map(Square{0}, 30), expected_squares(30, 0));
  EXPECT_THROW_HAS(pool().resize(g_world_size), UsageError, "workers asked for, but");
}

// A copy of the pool is a handle of its own: closing it leaves the others open.
TEST_F(PoolTest, CloseRefusesWorkJoinWaitsForQueued) {
  Pool handle = pool();
  EXPECT_THROW_MSG(handle.join(), UsageError, "join() needs close() or terminate() first");
  auto queued = handle.apply_async(Nap{5}, 1);
  handle.close();
  EXPECT_THROW_MSG(handle.apply_async(Square{0}, 1), UsageError, "pool is closed");
  handle.join();
  EXPECT_TRUE(queued.ready());
  EXPECT_EQ(pool().apply(Square{0}, 2), 4);
}

TEST_F(PoolTest, TerminateFailsWhatHadNotStarted) {
  Pool handle = pool();
  std::vector<AsyncResult<std::uint64_t>> results;
  for (std::uint64_t i = 0; i < 200; ++i) results.push_back(handle.apply_async(Nap{2}, i));
  handle.terminate();
  std::size_t cancelled = 0;
  for (auto& result : results) {
    ASSERT_TRUE(result.ready());
    if (!result.successful()) ++cancelled;
  }
  EXPECT_GT(cancelled, 0u);
  EXPECT_TRUE(handle.closed());
  EXPECT_THROW_MSG(handle.apply(Square{0}, 1), UsageError, "pool is closed");
}

}  // namespace
}  // namespace rankpool::testing
