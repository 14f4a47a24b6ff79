// ChildRunner without MPI: the worker's messages, run in a child process of
// this test program (its main serves as that child when started as one).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "support/expect_message.hpp"

#include <boost/serialization/string.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/detail/child_runner.hpp"
#include "rankpool/detail/protocol.hpp"
#include "rankpool/job.hpp"
#include "support/die_by_signal.hpp"

namespace {

using rankpool::detail::ByteReader;
using rankpool::detail::ByteWriter;

struct Square {
  static constexpr const char* name = "square";
  std::uint64_t operator()(std::uint64_t index) const { return index * index; }
};

struct WordLength {
  static constexpr const char* name = "word_length";
  std::uint64_t operator()(const std::string& word) const { return word.size(); }
};

/// The pid of the process that ran the task.
struct WhichProcess {
  static constexpr const char* name = "which_process";
  std::uint64_t operator()(std::uint64_t) const { return static_cast<std::uint64_t>(getpid()); }
};

/// Task `at` ends its process the way `how` says: "segv", "abort" or "exit3".
struct Crash {
  static constexpr const char* name = "crash";
  std::uint64_t at = 0;
  std::string how;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & at & how;
    // clang-format on
  }
  std::uint64_t operator()(std::uint64_t index) const {
    if (index != at) return index * 10;
    if (how == "abort") rankpool_test::die_by_signal(SIGABRT);
    if (how == "exit3") std::exit(3);
    rankpool_test::die_by_signal(SIGSEGV);
  }
};

/// Runs its tasks together (run_many); a chunk holding task 2 segfaults.
struct CrashTogether {
  static constexpr const char* name = "crash_together";
  std::uint64_t operator()(std::uint64_t index) const { return index; }
  std::vector<rankpool::Outcome<std::uint64_t>> run_many(std::span<const std::uint64_t> indices) const {
    std::vector<rankpool::Outcome<std::uint64_t>> out;
    for (std::uint64_t index : indices) {
      if (index == 2) Crash{2, "segv"}(2);
      out.push_back({index, {}});
    }
    return out;
  }
};

const rankpool::JobRegistry& registry() {
  static const rankpool::JobRegistry jobs =
      rankpool::JobRegistry().add<Square>().add<WordLength>().add<WhichProcess>().add<Crash>().add<CrashTogether>();
  return jobs;
}

template <class J>
std::string job_message(std::uint64_t id, const J& job = {}) {
  ByteWriter out;
  write(out, rankpool::detail::JobSpec{id, J::name, rankpool::save_params(job), false});
  return std::move(out).finish();
}

std::string tasks_message(std::uint64_t job_id, std::uint64_t first, std::uint64_t count) {
  ByteWriter out;
  write(out, rankpool::detail::ChunkHeader{job_id, 99, count, rankpool::detail::ArgKind::kIndex});
  for (std::uint64_t i = first; i < first + count; ++i) write_task(out, rankpool::detail::ArgKind::kIndex, i, {});
  return std::move(out).finish();
}

std::vector<rankpool::detail::TaskRecord> records_of(const std::string& results) {
  ByteReader in(results);
  const auto header = rankpool::detail::read_results_header(in);
  EXPECT_EQ(header.chunk_id, 99u);
  std::vector<rankpool::detail::TaskRecord> records;
  for (std::uint64_t i = 0; i < header.count; ++i) records.push_back(rankpool::detail::read_record(in));
  EXPECT_TRUE(in.done());
  return records;
}

std::uint64_t value_of(const rankpool::detail::TaskRecord& record) {
  EXPECT_TRUE(record.ok) << record.payload;
  return record.ok ? rankpool::Codec<std::uint64_t>::decode(record.payload) : 0;
}

std::vector<rankpool::detail::TaskRecord> run(rankpool::detail::ChildRunner& runner, std::uint64_t job_id,
                                              std::uint64_t first, std::uint64_t count) {
  return records_of(runner.handle(rankpool::detail::kTasks, tasks_message(job_id, first, count)));
}

TEST(ChildRunner, RunsTasksInAChildAndGivesTheirResults) {
  rankpool::detail::ChildRunner runner(1, {true, 0});
  runner.handle(rankpool::detail::kJob, job_message<Square>(1));
  const auto records = run(runner, 1, 0, 10);
  ASSERT_EQ(records.size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(records[i].index, i);
    EXPECT_EQ(value_of(records[i]), i * i);
  }
  EXPECT_GT(runner.child_pid(), 0);
  EXPECT_NE(runner.child_pid(), getpid());
}

TEST(ChildRunner, TypedArgumentsTravelToTheChild) {
  rankpool::detail::ChildRunner runner(1, {true, 0});
  runner.handle(rankpool::detail::kJob, job_message<WordLength>(4));
  ByteWriter out;
  write(out, rankpool::detail::ChunkHeader{4, 99, 2, rankpool::detail::ArgKind::kTyped});
  write_task(out, rankpool::detail::ArgKind::kTyped, 0, "three");
  write_task(out, rankpool::detail::ArgKind::kTyped, 1, "");
  const auto records = records_of(runner.handle(rankpool::detail::kTasks, std::move(out).finish()));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(value_of(records[0]), 5u);
  EXPECT_EQ(value_of(records[1]), 0u);
}

TEST(ChildRunner, AChildIsReplacedAfterMaxTasksAndReloadsTheJobs) {
  rankpool::detail::ChildRunner runner(1, {true, 3});
  runner.handle(rankpool::detail::kJob, job_message<WhichProcess>(2));
  const auto records = run(runner, 2, 0, 7);
  ASSERT_EQ(records.size(), 7u);
  std::vector<std::uint64_t> pids;
  for (const auto& record : records) pids.push_back(value_of(record));
  EXPECT_EQ(pids[0], pids[2]);
  EXPECT_NE(pids[2], pids[3]);
  EXPECT_EQ(pids[3], pids[5]);
  EXPECT_NE(pids[5], pids[6]);
  EXPECT_EQ(std::set<std::uint64_t>(pids.begin(), pids.end()).count(static_cast<std::uint64_t>(getpid())), 0u);
  // Across messages too: one task more fills the third child, the next one starts a fourth.
  const auto third = value_of(run(runner, 2, 7, 2)[1]);
  EXPECT_EQ(third, pids[6]);
  const pid_t fourth = runner.child_pid();
  EXPECT_NE(static_cast<std::uint64_t>(fourth), third);
  EXPECT_EQ(value_of(run(runner, 2, 9, 1)[0]), static_cast<std::uint64_t>(fourth));
}

TEST(ChildRunner, AForgottenJobIsNotReloaded) {
  rankpool::detail::ChildRunner runner(1, {true, 1});
  runner.handle(rankpool::detail::kJob, job_message<Square>(1));
  EXPECT_EQ(value_of(run(runner, 1, 3, 1)[0]), 9u);  // and the child is replaced
  runner.handle(rankpool::detail::kForget, rankpool::detail::encode_value<std::uint64_t>(1));
  const auto records = run(runner, 1, 3, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].ok);
  EXPECT_EQ(records[0].payload, "job 1 was never sent to this worker");
}

struct CrashCase {
  std::string how;
  std::string ending;
};

class ChildCrash : public testing::TestWithParam<CrashCase> {};

TEST_P(ChildCrash, FailsTheTaskThatKilledTheChildAndRunsTheRestInAFreshOne) {
  rankpool::detail::ChildRunner runner(1, {true, 0});
  runner.handle(rankpool::detail::kJob, job_message<Crash>(3, Crash{2, GetParam().how}));
  const pid_t first_child = runner.child_pid();
  const auto records = run(runner, 3, 0, 5);
  ASSERT_EQ(records.size(), 5u);
  for (std::uint64_t i : {0, 1, 3, 4}) {
    EXPECT_EQ(records[i].index, i);
    EXPECT_EQ(value_of(records[i]), i * 10);
  }
  EXPECT_EQ(records[2].index, 2u);
  EXPECT_FALSE(records[2].ok);
  EXPECT_EQ(records[2].payload, "task 2 killed the worker's child process: " + GetParam().ending);
  EXPECT_NE(runner.child_pid(), first_child);
  // The next message runs in the fresh child.
  const auto next = run(runner, 3, 5, 2);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(value_of(next[0]), 50u);
  EXPECT_EQ(value_of(next[1]), 60u);
}

INSTANTIATE_TEST_SUITE_P(Endings, ChildCrash,
                         testing::Values(CrashCase{"segv", "signal 11 (SIGSEGV)"},
                                         CrashCase{"abort", "signal 6 (SIGABRT)"}, CrashCase{"exit3", "exit code 3"}),
                         [](const auto& info) { return info.param.how; });

TEST(ChildRunner, TasksRunTogetherAllFailWhenOneOfThemKillsTheChild) {
  rankpool::detail::ChildRunner runner(1, {true, 3});
  runner.handle(rankpool::detail::kJob, job_message<CrashTogether>(5));
  EXPECT_TRUE(runner.runs_many(5));
  // Three at a time: tasks 0-2 together (task 2 crashes them), then 3-5 in a fresh child.
  const auto records = run(runner, 5, 0, 6);
  ASSERT_EQ(records.size(), 6u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(records[i].index, i);
    EXPECT_FALSE(records[i].ok);
    EXPECT_EQ(records[i].payload, "task " + std::to_string(i) +
                                      " (or a task running beside it) killed the worker's child process: signal 11 "
                                      "(SIGSEGV)");
  }
  for (std::uint64_t i = 3; i < 6; ++i) EXPECT_EQ(value_of(records[i]), i);
}

TEST(ChildRunner, LeavesNoChildBehind) {
  pid_t child = 0;
  {
    rankpool::detail::ChildRunner runner(1, {true, 0});
    runner.handle(rankpool::detail::kJob, job_message<Square>(1));
    EXPECT_EQ(value_of(run(runner, 1, 2, 1)[0]), 4u);
    child = runner.child_pid();
    ASSERT_GT(child, 0);
  }
  // Reaped, not running and not a zombie: no child of ours has that pid.
  EXPECT_EQ(waitpid(child, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ChildRunner, ReadsIsolationFromTheEnvironment) {
  unsetenv("RANKPOOL_ISOLATE");
  EXPECT_FALSE(rankpool::detail::isolation_from_environment().enabled);
  setenv("RANKPOOL_ISOLATE", "4", 1);
  const rankpool::Isolation four = rankpool::detail::isolation_from_environment();
  EXPECT_TRUE(four.enabled);
  EXPECT_EQ(four.max_tasks_per_child, 4);
  setenv("RANKPOOL_ISOLATE", "-1", 1);
  EXPECT_THROW_HAS(
      rankpool::detail::isolation_from_environment(), rankpool::UsageError,
      "RANKPOOL_ISOLATE must be a whole number of tasks per child from 0 up (0: never replaced), not '-1'");
  setenv("RANKPOOL_ISOLATE", "2x", 1);
  EXPECT_THROW_HAS(rankpool::detail::isolation_from_environment(), rankpool::UsageError, "not '2x'");
  unsetenv("RANKPOOL_ISOLATE");
}

}  // namespace

int main(int argc, char** argv) {
  rankpool::detail::serve_child_if_requested(registry());
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
