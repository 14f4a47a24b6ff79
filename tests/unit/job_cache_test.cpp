// A worker keeps the set-up jobs of at most kJobValuesKept job values: the
// least recently used one is dropped, and its next task rebuilds it and runs
// setup() again.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rankpool/detail/executor.hpp"
#include "rankpool/job.hpp"

namespace rankpool::detail {
namespace {

// How many times each value's setup() ran, and how many set-up tables live now.
std::map<std::uint64_t, int> setups;
int tables_alive = 0;

struct Table {
  Table() = default;
  Table(const Table&) = delete;
  ~Table() {
    if (filled) --tables_alive;
  }
  bool filled = false;
};

struct Lookup {
  static constexpr const char* name = "lookup";
  std::uint64_t key = 0;
  std::shared_ptr<Table> table = std::make_shared<Table>();
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & key;
    // clang-format on
  }
  void setup() {
    ++setups[key];
    table->filled = true;
    ++tables_alive;
  }
  std::uint64_t operator()(std::uint64_t index) const { return key * 1000 + index; }
};

class JobCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setups.clear();
    tables_alive = 0;
  }
  // Runs one task of job `id` (value `key`) and checks its result.
  void run_one(std::uint64_t id, std::uint64_t key, std::uint64_t index) {
    TaskList tasks;
    tasks.indices = {index};
    std::vector<TaskRecord> records;
    executor.run(id, tasks, [&records](TaskRecord&& record) { records.push_back(std::move(record)); });
    ASSERT_EQ(records.size(), 1u);
    ASSERT_TRUE(records[0].ok) << records[0].payload;
    EXPECT_EQ(Codec<std::uint64_t>::decode(records[0].payload), key * 1000 + index);
  }
  void load(std::uint64_t id, std::uint64_t key) {
    executor.load(JobSpec{id, "lookup", save_params(Lookup{key}), false});
  }

  JobRegistry registry = JobRegistry().add<Lookup>();
  Executor executor{registry, 1, "host", 1};
};

TEST_F(JobCacheTest, ASweepOverManyValuesKeepsAtMostTheBound) {
  for (std::uint64_t key = 0; key < 20; ++key) {
    load(key, key);
    run_one(key, key, 3);
    EXPECT_LE(executor.jobs_kept(), kJobValuesKept);
    EXPECT_LE(tables_alive, static_cast<int>(kJobValuesKept));
  }
  EXPECT_EQ(tables_alive, static_cast<int>(kJobValuesKept));
  for (std::uint64_t key = 0; key < 20; ++key) EXPECT_EQ(setups[key], 1) << "value " << key;
}

TEST_F(JobCacheTest, ADroppedValueIsRebuiltAndSetUpAgain) {
  for (std::uint64_t key = 0; key <= kJobValuesKept; ++key) load(key, key);
  run_one(0, 0, 1);  // value 0 was dropped when the last one loaded: rebuilt
  for (std::uint64_t key = 1; key <= kJobValuesKept; ++key) run_one(key, key, 1);
  EXPECT_EQ(setups[0], 1);
  run_one(0, 0, 2);  // dropped again by the values after it
  EXPECT_EQ(setups[0], 2);
  EXPECT_EQ(tables_alive, static_cast<int>(kJobValuesKept));
}

TEST_F(JobCacheTest, TheMostRecentlyUsedValuesStay) {
  for (std::uint64_t key = 0; key < kJobValuesKept; ++key) {
    load(key, key);
    run_one(key, key, 0);
  }
  run_one(0, 0, 5);  // value 0 is now the most recent; value 1 the least
  load(99, 99);
  run_one(99, 99, 0);
  run_one(0, 0, 6);
  EXPECT_EQ(setups[0], 1);
  run_one(1, 1, 6);
  EXPECT_EQ(setups[1], 2);
}

TEST_F(JobCacheTest, ForgottenJobsFreeTheirPlace) {
  for (std::uint64_t key = 0; key < 3; ++key) {
    load(key, key);
    run_one(key, key, 0);
    executor.forget(key);
  }
  EXPECT_EQ(executor.jobs_kept(), 0u);
  EXPECT_EQ(tables_alive, 0);
  TaskList tasks;
  tasks.indices = {0};
  std::vector<TaskRecord> records;
  executor.run(1, tasks, [&records](TaskRecord&& record) { records.push_back(std::move(record)); });
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].ok);
  EXPECT_EQ(records[0].payload, "job 1 was never sent to this worker");
}

}  // namespace
}  // namespace rankpool::detail
