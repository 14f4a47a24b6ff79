#include "exec/exec_rows.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "rankpool/errors.hpp"

namespace rankpool::exec {
namespace {

TEST(ExecRows, CapturedRowHasEveryFieldInOrder) {
  CommandOutcome outcome;
  outcome.exit_code = 3;
  outcome.attempts = 2;
  outcome.seconds = 0.5;
  outcome.rank = 2;
  outcome.host = "node1";
  outcome.stdout_text = "abc";
  outcome.stdout_bytes = 10;
  outcome.stderr_text = "\xff";
  outcome.stderr_bytes = 1;
  const std::string row = make_row(7, 9, "exit 3", outcome, "");
  EXPECT_EQ(row.find('\n'), std::string::npos);
  const auto parsed = nlohmann::ordered_json::parse(row);
  std::vector<std::string> keys;
  for (auto& [key, value] : parsed.items()) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"task", "line", "command", "exit", "timed_out", "seconds", "attempts", "rank",
                                      "host", "stdout", "stderr", "truncated", "stdout_bytes", "stderr_bytes"}));
  EXPECT_EQ(parsed["task"], 7);
  EXPECT_EQ(parsed["line"], 9);
  EXPECT_EQ(parsed["exit"], 3);
  EXPECT_EQ(parsed["truncated"], true);
  EXPECT_EQ(parsed["stderr"], "\xef\xbf\xbd");  // not UTF-8: U+FFFD
}

TEST(ExecRows, OutputDirRowNamesTheFiles) {
  const auto parsed = nlohmann::json::parse(make_row(4, 5, "true", CommandOutcome{}, "/out"));
  EXPECT_EQ(parsed["stdout_file"], "/out/4.stdout");
  EXPECT_EQ(parsed["stderr_file"], "/out/4.stderr");
  EXPECT_FALSE(parsed.contains("stdout"));
}

TEST(ExecRows, RowFailureReadsARowBack) {
  CommandOutcome outcome;
  outcome.timed_out = true;
  outcome.exit_code = 143;
  FailedCommand failure;
  EXPECT_TRUE(row_failure(make_row(3, 4, "sleep 9", outcome, ""), failure));
  EXPECT_EQ(failure.task, 3u);
  EXPECT_EQ(failure.line, 4u);
  EXPECT_EQ(failure.exit_code, 143);
  EXPECT_TRUE(failure.timed_out);
  EXPECT_FALSE(row_failure(make_row(3, 4, "true", CommandOutcome{}, ""), failure));
  EXPECT_THROW(row_failure("{\"task\": 1}", failure), RuntimeError);
}

TEST(ExecRows, CheckRowTakesOnlyThisRunsRowForTheTask) {
  const CommandOutcome outcome;
  const std::string row = make_row(1, 4, "echo b", outcome, "");
  EXPECT_NO_THROW(check_row(row, 1, 4, "echo b", ""));
  auto why = [&](std::string_view text, std::uint64_t task, std::uint64_t line, const std::string& command,
                 const std::string& dir) -> std::string {
    try {
      check_row(text, task, line, command, dir);
    } catch (const RuntimeError& error) {
      return error.what();
    }
    return "";
  };
  EXPECT_EQ(why(row, 0, 4, "echo b", ""), "its task is 1, this run's is 0");
  EXPECT_EQ(why(row, 1, 5, "echo b", ""), "its line is 4, this run's is 5");
  EXPECT_EQ(why(row, 1, 4, "echo c", ""), "its command is \"echo b\", this run's is \"echo c\"");
  EXPECT_EQ(why(row, 1, 4, "echo b", "/out"), "it was written without --output-dir, this run has one");
  const std::string in_dir = make_row(1, 4, "echo b", outcome, "/out");
  EXPECT_NO_THROW(check_row(in_dir, 1, 4, "echo b", "/out"));
  EXPECT_NE(why(in_dir, 1, 4, "echo b", "/elsewhere").find("stdout_file"), std::string::npos);
  EXPECT_NE(why("{\"task\":1}", 1, 4, "echo b", "").find("not a row"), std::string::npos);
  EXPECT_NE(why("not json", 1, 4, "echo b", "").find("not a row"), std::string::npos);
}

TEST(ExecRows, DescribeFailuresCountsAndNamesTheFirst) {
  EXPECT_EQ(describe_failures({{9, 12, 1, false}, {2, 3, 143, true}}, 200),
            "2 of 200 commands failed (1 timed out); first: task 2 (line 3), timed out");
  EXPECT_EQ(describe_failures({{0, 1, 1, false}}, 1), "1 of 1 command failed; first: task 0 (line 1), exit 1");
}

}  // namespace
}  // namespace rankpool::exec
