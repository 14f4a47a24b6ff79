// What a program can rely on: work goes on while the master computes, a call
// whose input fails leaves the pool whole, blocking calls from callbacks and a
// second Session are refused, terminate() ends a handle's calls at once.
#include <gtest/gtest.h>

#include <unistd.h>
#include "support/expect_message.hpp"

#include <chrono>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "contract_jobs.hpp"
#include "pool_fixture.hpp"
#include "rankpool/session.hpp"
#include "test_jobs.hpp"

namespace rankpool::testing {
namespace {

using namespace std::chrono_literals;

/// Waits on this thread without calling into the pool, until `ready()` or a minute.
template <class Ready>
bool arrives_without_the_pool(Ready ready) {
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (!ready() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
  return ready();
}

TEST_F(PoolTest, WorkGoesOnWhileTheMasterComputesElsewhere) {
  auto async = pool().apply_async(Nap{20}, 3);
  auto mapped = pool().map_async(Nap{20}, 6);
  auto stream = pool().imap(Square{0}, 5);
  // The master never calls into the pool while it waits here: the pool's own thread does the work.
  EXPECT_TRUE(arrives_without_the_pool([&] { return async.arrived() && mapped.arrived(); }));
  EXPECT_EQ(async.get(), 3u);
  EXPECT_EQ(mapped.get(), (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5}));
  std::vector<long> squares;
  for (long value : stream) squares.push_back(value);
  EXPECT_EQ(squares, (std::vector<long>{0, 1, 4, 9, 16}));
}

/// 0, 1, 2, then a throw at the fourth element (index 3), as a lazy input.
auto failing_input() {
  return std::views::iota(std::uint64_t{0}, std::uint64_t{10}) | std::views::transform([](std::uint64_t i) {
           if (i == 3) throw std::domain_error("bad input at 3");
           return i;
         });
}

template <class Call>
void expect_bad_input(Call call) {
  try {
    call();
    ADD_FAILURE() << "no exception";
  } catch (const std::domain_error& error) {
    EXPECT_STREQ(error.what(), "bad input at 3");
  }
}

void expect_pool_whole(Pool& pool) {
  EXPECT_EQ(pool.apply(Square{0}, 2), 4);
  EXPECT_EQ(pool.map(Square{0}, 4), (std::vector<long>{0, 1, 4, 9}));
}

TEST_F(PoolTest, AMapWhoseInputThrowsRaisesItAndLeavesThePoolWhole) {
  expect_bad_input([&] { pool().map(Square{0}, failing_input()); });
  expect_pool_whole(pool());
  expect_bad_input([&] { pool().map_async(Square{0}, failing_input()).get(); });
  expect_pool_whole(pool());
}

TEST_F(PoolTest, ImapYieldsTheValuesBeforeAFailingInputThenRaisesIt) {
  for (bool ordered : {true, false}) {
    auto stream =
        ordered ? pool().imap(Square{0}, failing_input(), 1) : pool().imap_unordered(Square{0}, failing_input(), 1);
    std::vector<long> values;
    expect_bad_input([&] {
      while (auto item = stream.next()) values.push_back(item->value);
    });
    std::sort(values.begin(), values.end());
    EXPECT_EQ(values, (std::vector<long>{0, 1, 4})) << (ordered ? "imap" : "imap_unordered");
    expect_pool_whole(pool());
  }
}

TEST_F(PoolTest, StarmapOverAFailingInputRaisesIt) {
  auto pairs = failing_input() | std::views::transform([](std::uint64_t i) {
                 return std::tuple<std::string, int>("a", static_cast<int>(i));
               });
  expect_bad_input([&] { pool().starmap(Repeat{}, pairs); });
  expect_pool_whole(pool());
}

TEST_F(PoolTest, AnArgumentWhoseEncodingThrowsFailsItsCallOnly) {
  expect_bad_input([&] { pool().apply_async(TakesFragile{}, Fragile{3, "x"}).get(); });
  EXPECT_EQ(pool().apply(TakesFragile{}, Fragile{2, "x"}), 20);
  std::vector<Fragile> args{{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}, {4, "e"}};
  expect_bad_input([&] { pool().map(TakesFragile{}, args); });
  auto stream = pool().imap(TakesFragile{}, args, 1);
  std::vector<long> values;
  expect_bad_input([&] {
    while (auto item = stream.next()) values.push_back(item->value);
  });
  EXPECT_EQ(values, (std::vector<long>{0, 10, 20}));
  expect_pool_whole(pool());
}

TEST_F(PoolTest, EveryVariantRaisesAnArgumentsEncodingErrorAndLeavesThePoolWhole) {
  const std::vector<Fragile> args{{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}, {4, "e"}};
  expect_bad_input([&] { pool().map_async(TakesFragile{}, args).get(); });
  expect_pool_whole(pool());
  auto stream = pool().imap_unordered(TakesFragile{}, args, 1);
  std::vector<long> values;
  expect_bad_input([&] {
    while (auto item = stream.next()) values.push_back(item->value);
  });
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<long>{0, 10, 20}));
  expect_pool_whole(pool());
  std::vector<std::tuple<Fragile, int>> pairs;
  for (const Fragile& arg : args) pairs.emplace_back(arg, 10);
  expect_bad_input([&] { pool().starmap(TakesFragileTimes{}, pairs); });
  expect_pool_whole(pool());
}

TEST_F(PoolTest, ABlockingCallInsideACallbackRaisesInsteadOfHanging) {
  std::string refused;
  auto outer = pool().apply_async(Square{0}, 3, [&](const long&) {
    try {
      pool().apply(Square{0}, 2);
    } catch (const UsageError& error) {
      refused = error.what();
    }
  });
  EXPECT_EQ(outer.get(10s), 9);
  EXPECT_NE(refused.find("inside a callback"), std::string::npos) << refused;
}

TEST_F(PoolTest, ACallbackMaySubmitMoreWork) {
  std::optional<AsyncResult<long>> submitted;
  auto outer = pool().apply_async(Square{0}, 3, [&](const long& value) {
    submitted.emplace(pool().apply_async(Square{0}, static_cast<std::uint64_t>(value)));
  });
  EXPECT_EQ(outer.get(10s), 9);
  ASSERT_TRUE(submitted.has_value());  // the callback ran before get() returned
  EXPECT_EQ(submitted->get(10s), 81);
}

TEST_F(PoolTest, ASecondSessionIsAUsageError) {
  int argc = 1;
  char name[] = "nested";
  char* args[] = {name, nullptr};
  char** argv = args;
  try {
    Session nested(argc, argv, JobRegistry());
    ADD_FAILURE() << "a second Session was made";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("a second rankpool::Session"), std::string::npos) << error.what();
  }
  expect_pool_whole(pool());
}

TEST_F(PoolTest, TerminateEndsAHandlesCallsAtOnceAndLeavesTheOthers) {
  Pool handle = pool();
  auto mapped = handle.map_async(Nap{300}, 40, 1);
  auto async = handle.apply_async(Nap{300}, 1);
  auto stream = handle.imap(Nap{300}, 40, 1);
  handle.terminate();
  handle.join();  // returns at once: nothing of this handle is waited for
  EXPECT_TRUE(mapped.ready());
  EXPECT_TRUE(async.ready());
  EXPECT_FALSE(mapped.successful());
  EXPECT_THROW_MSG(handle.apply(Square{0}, 1), UsageError, "pool is closed");
  expect_pool_whole(pool());
}

TEST_F(PoolTest, WhenTheMasterWorksRankZeroRunsTasksBesideTheWorkers) {
  pool().set_master_works(true);
  std::set<long> processes;
  for (long process : pool().imap_unordered(WhichProcess{2}, 300)) processes.insert(process);
  std::set<long> mapped;
  for (long process : pool().map(WhichProcess{2}, 300)) mapped.insert(process);
  pool().set_master_works(false);
  EXPECT_TRUE(mapped.count(static_cast<long>(getpid()))) << "no task of the map ran on rank 0";
  EXPECT_TRUE(processes.count(static_cast<long>(getpid()))) << "no task ran on rank 0";
  EXPECT_EQ(processes.size(), static_cast<std::size_t>(pool().workers()) + 1);
  std::set<long> after;
  for (long process : pool().imap_unordered(WhichProcess{0}, 50)) after.insert(process);
  if (pool().workers() > 0) {
    EXPECT_FALSE(after.count(static_cast<long>(getpid()))) << "rank 0 still works";
  }
}

TEST_F(PoolTest, ResizeToNoWorkersIsRefusedAsPoolZeroIs) {
  try {
    pool().resize(0);
    ADD_FAILURE() << "resize(0) accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("at least one"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace rankpool::testing
