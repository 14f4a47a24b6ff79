// Tasks that carry their own data, outcomes, streams as ranges, set-up hooks,
// large messages in pieces, and jobs the workers forget.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <numeric>
#include <ranges>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "pool_fixture.hpp"
#include "rankpool/rankpool.hpp"
#include "test_jobs.hpp"

namespace rankpool::testing {
namespace {

TEST_F(PoolTest, TheContractProgramGivesItsAnswers) {
  std::vector<std::string> words{"a", "bb", "ccc"};
  EXPECT_EQ(pool().map(WordLength{}, words), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(pool().apply(WordLength{}, std::string("hello")), 5u);
  auto four = pool().apply_async(WordLength{}, std::string("four"));
  EXPECT_EQ(four.get(), 4u);
  std::uint64_t total = 0;
  for (std::uint64_t n : pool().imap_unordered(WordLength{}, words)) total += n;
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(pool().map(Norm{2}, std::vector<Point>{{3, 4}, {5, 12}}), (std::vector<double>{10, 26}));
}

TEST_F(PoolTest, EveryCallTakesTypedArguments) {
  std::vector<std::string> words;
  for (int i = 0; i < 300; ++i) words.push_back(std::string(static_cast<std::size_t>(i % 17), 'x'));
  std::vector<std::uint64_t> expected;
  for (const auto& word : words) expected.push_back(word.size());
  EXPECT_EQ(pool().serial(WordLength{}, words), expected);
  for (std::uint64_t chunksize : {0, 1, 7}) {
    EXPECT_EQ(pool().map(WordLength{}, words, chunksize), expected);
    EXPECT_EQ(pool().map_async(WordLength{}, words, chunksize).get(), expected);
    std::vector<std::uint64_t> ordered;
    for (std::uint64_t n : pool().imap(WordLength{}, words, chunksize)) ordered.push_back(n);
    EXPECT_EQ(ordered, expected);
    std::map<std::uint64_t, std::uint64_t> by_position;
    auto stream = pool().imap_unordered(WordLength{}, words, chunksize);
    while (auto item = stream.next()) by_position[item->index] = item->value;
    ASSERT_EQ(by_position.size(), words.size());
    for (std::size_t i = 0; i < words.size(); ++i) EXPECT_EQ(by_position[i], expected[i]);
  }
}

TEST_F(PoolTest, StarmapUnpacksTuples) {
  std::vector<std::tuple<std::string, int>> args{{"ab", 3}, {"x", 0}, {"yz", 1}};
  EXPECT_EQ(pool().starmap(Repeat{}, args), (std::vector<std::string>{"ababab", "", "yz"}));
  EXPECT_EQ(pool().apply(Repeat{}, std::tuple<std::string, int>{"q", 2}), "qq");
}

TEST_F(PoolTest, ALazyViewIsConsumedAsTheWorkersNeedIt) {
  auto words = std::views::iota(0u, 5000u) | std::views::transform([](unsigned i) { return std::to_string(i); });
  std::uint64_t total = 0;
  for (std::uint64_t n : pool().imap_unordered(WordLength{}, words, 16)) total += n;
  std::uint64_t expected = 0;
  for (unsigned i = 0; i < 5000; ++i) expected += std::to_string(i).size();
  EXPECT_EQ(total, expected);
  // An index job over a range of indices.
  auto odd = std::views::iota(0u, 50u) | std::views::filter([](unsigned i) { return i % 2 == 1; });
  std::vector<long> squares;
  for (long v : pool().imap(Square{0}, odd)) squares.push_back(v);
  ASSERT_EQ(squares.size(), 25u);
  EXPECT_EQ(squares.back(), 49 * 49);
}

TEST_F(PoolTest, MapOutcomesKeepsEveryGoodResultBesideTheErrors) {
  std::vector<double> xs;
  for (int i = 0; i < 1000; ++i) xs.push_back(i == 17 || i == 900 ? -1.0 : i);
  auto outcomes = pool().map_outcomes(CheckedRoot{}, xs);
  ASSERT_EQ(outcomes.size(), 1000u);
  std::size_t values = 0;
  std::vector<std::uint64_t> failed;
  for (const auto& outcome : outcomes) {
    if (outcome.ok()) {
      ++values;
      EXPECT_DOUBLE_EQ(*outcome.value, std::sqrt(xs[outcome.index]));
    } else {
      failed.push_back(outcome.index);
      const TaskFailure& failure = outcome.error->failure();
      EXPECT_EQ(failure.type, "std::domain_error");
      EXPECT_EQ(failure.job, "checked_root");
      EXPECT_FALSE(failure.host.empty());
      EXPECT_NE(std::string(outcome.error->what()).find("checked_root task "), std::string::npos);
      EXPECT_NE(std::string(outcome.error->what()).find("std::domain_error"), std::string::npos);
    }
  }
  EXPECT_EQ(values, 998u);
  EXPECT_EQ(failed, (std::vector<std::uint64_t>{17, 900}));
}

TEST_F(PoolTest, StreamsHaveTimeoutsAndOutcomes) {
  auto slow = pool().imap(Nap{400}, 2, 1);
  EXPECT_THROW(slow.next(std::chrono::milliseconds(20)), TimeoutError);
  auto first = slow.next_outcome(std::chrono::seconds(30));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->ok());
  EXPECT_EQ(first->index, 0u);
  while (slow.next()) {
  }
  std::vector<double> xs{4, -1, 9};
  auto stream = pool().imap(CheckedRoot{}, xs);
  auto a = stream.next_outcome();
  auto b = stream.next_outcome();
  auto c = stream.next_outcome();
  EXPECT_TRUE(a->ok());
  EXPECT_FALSE(b->ok());
  EXPECT_THROW(b->get(), RemoteError);
  EXPECT_DOUBLE_EQ(c->get(), 3.0);
  EXPECT_FALSE(stream.next_outcome());
}

TEST_F(PoolTest, GetHonoursItsTimeoutEvenWithNoWorkers) {
  auto slow = pool().apply_async(Nap{2000}, 1);
  EXPECT_THROW(slow.get(std::chrono::milliseconds(50)), TimeoutError);
  // Had get() run the task itself before giving up, the result would be here.
  EXPECT_FALSE(slow.arrived());
  EXPECT_EQ(slow.get(), 1u);
}

TEST_F(PoolTest, WaitAllAndAsCompleted) {
  std::vector<AsyncResult<std::uint64_t>> results;
  for (int millis : {300, 10, 100})
    results.push_back(pool().apply_async(Nap{millis}, static_cast<std::uint64_t>(millis)));
  std::set<std::size_t> seen;
  auto done = as_completed(std::span(results));
  while (auto i = done.next(std::chrono::seconds(30))) {
    EXPECT_TRUE(seen.insert(*i).second);
    EXPECT_TRUE(results[*i].ready());
  }
  EXPECT_EQ(seen.size(), 3u);
  std::vector<AsyncResult<long>> squares;
  for (std::uint64_t i = 0; i < 20; ++i) squares.push_back(pool().apply_async(Square{0}, i));
  EXPECT_TRUE(wait_all(std::span(squares), std::chrono::seconds(30)));
  for (auto& result : squares) EXPECT_TRUE(result.ready());
}

TEST_F(PoolTest, SetupRunsOncePerWorkerBeforeItsFirstTask) {
  auto results = pool().map(CountsSetup{}, 40, 1);
  std::set<std::int64_t> pids;
  for (const auto& result : results) {
    EXPECT_EQ(result[0], 1) << "setup ran " << result[0] << " times in pid " << result[1];
    pids.insert(result[1]);
  }
  EXPECT_GE(pids.size(), 1u);
  try {
    pool().apply(FailingSetup{}, 3);
    FAIL() << "no exception";
  } catch (const RemoteError& error) {
    EXPECT_EQ(error.failure().message, "no licence server");
    EXPECT_EQ(error.failure().type, "std::invalid_argument");
  }
}

TEST_F(PoolTest, ManyDistinctJobValuesDoNotPileUp) {
  // Each value is a job of its own; the workers are told to forget each one.
  for (long offset = 0; offset < 3000; ++offset) EXPECT_EQ(pool().apply(Square{offset}, 2), 4 + offset);
  std::vector<AsyncResult<long>> results;
  for (long offset = 0; offset < 2000; ++offset) results.push_back(pool().apply_async(Square{offset}, 3));
  for (long offset = 0; offset < 2000; ++offset) EXPECT_EQ(results[static_cast<std::size_t>(offset)].get(), 9 + offset);
}

TEST_F(PoolTest, ResultsLargerThanOnePieceArriveWhole) {
  // RANKPOOL_MAX_PIECE_BYTES (set by the CTest entry "pieces") makes this cross the piece boundary.
  const BigResult job{300'000};
  for (std::uint64_t index : {1u, 2u}) EXPECT_EQ(pool().apply(job, index), job(index));
  std::uint64_t count = 0;
  for (const std::string& big : pool().imap(job, 4)) EXPECT_EQ(big, job(count++));
  EXPECT_EQ(count, 4u);
  std::vector<std::string> long_words{std::string(250'000, 'w'), "x"};
  EXPECT_EQ(pool().map(WordLength{}, long_words), (std::vector<std::uint64_t>{250'000, 1}));
  EXPECT_EQ(pool().apply(WordLength{}, std::string(400'000, 'q')), 400'000u);
}

TEST_F(PoolTest, VectorsOfBoolTravelBothWays) {
  const std::vector<std::vector<bool>> inputs{{true, false, true}, {}, std::vector<bool>(77, true)};
  std::vector<std::vector<bool>> expected;
  for (const auto& bits : inputs) expected.push_back(FlipBits{}(bits));
  EXPECT_EQ(pool().map(FlipBits{}, inputs, 1), expected);
  EXPECT_EQ(pool().apply(FlipBits{}, inputs[0]), expected[0]);
  EXPECT_EQ(pool().apply_async(FlipBits{}, inputs[2]).get(), expected[2]);
  std::vector<std::vector<bool>> streamed;
  for (const auto& bits : pool().imap(FlipBits{}, inputs)) streamed.push_back(bits);
  EXPECT_EQ(streamed, expected);
  const auto low = pool().map(LowBits{5}, 40);
  ASSERT_EQ(low.size(), 40u);
  for (std::uint64_t i = 0; i < 40; ++i) EXPECT_EQ(low[i], LowBits{5}(i)) << "index " << i;
  const auto odd = pool().map(IsOdd{}, 31);
  ASSERT_EQ(odd.size(), 31u);
  for (std::uint64_t i = 0; i < 31; ++i) EXPECT_EQ(odd[i], i % 2 == 1);
  const MapValues<bool> values = pool().map_values(IsOdd{}, 9);
  EXPECT_EQ(values.values, (std::vector<bool>{false, true, false, true, false, true, false, true, false}));
  EXPECT_TRUE(values.failed.empty());
}

TEST_F(PoolTest, ASecondJobUnderATakenNameIsRefusedAtOnce) {
  try {
    test_jobs().add<SquareImpostor>();
    FAIL() << "no exception";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()),
              "job name 'square' is registered twice: by rankpool::testing::Square and by "
              "rankpool::testing::SquareImpostor; give each job type a name of its own");
  }
  const std::vector<std::string> names = test_jobs().names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::count(names.begin(), names.end(), "square"), 1);
  EXPECT_EQ(pool().apply(Square{0}, 3), 9);  // the pool runs the registered Square
}

}  // namespace
}  // namespace rankpool::testing

namespace rankpool::testing {
namespace {

// A result of 2 GiB + 4 KiB through apply and imap: ~10 GB of memory, so it
// runs only where RANKPOOL_BIG_TESTS=1 (CTest label "bigmem"; .ci/run runs it).
TEST_F(PoolTest, AResultOver2GiBComesBackThroughApplyAndImap) {
  if (std::getenv("RANKPOOL_BIG_TESTS") == nullptr) GTEST_SKIP() << "set RANKPOOL_BIG_TESTS=1 (needs ~10 GB)";
  const BigResult job{(std::uint64_t{2} << 30) + 4096};
  {
    const std::string big = pool().apply(job, 7);
    ASSERT_EQ(big.size(), job.bytes);
    EXPECT_EQ(big, job(7));
  }
  std::uint64_t count = 0;
  for (const std::string& big : pool().imap(job, 1)) {
    ASSERT_EQ(big.size(), job.bytes);
    EXPECT_EQ(big[0], 'a');
    EXPECT_EQ(big.back(), 'z');
    ++count;
  }
  EXPECT_EQ(count, 1u);
}

}  // namespace
}  // namespace rankpool::testing
