#include "exec/task_file.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "rankpool/errors.hpp"

namespace rankpool::exec {
namespace {

TaskList parse(const std::string& text) {
  std::istringstream in(text);
  return read_task_list(in, "tasks.txt");
}

TEST(TaskFile, SkipsBlankLinesAndCommentsAndKeepsLineNumbers) {
  const TaskList tasks = parse("# header\n\necho a\n   \n  # indented comment\necho b # not a comment\r\n\techo c");
  ASSERT_EQ(tasks.commands.size(), 3u);
  EXPECT_EQ(tasks.commands[0], "echo a");
  EXPECT_EQ(tasks.commands[1], "echo b # not a comment");
  EXPECT_EQ(tasks.commands[2], "\techo c");
  EXPECT_EQ(tasks.lines, (std::vector<std::uint64_t>{3, 6, 7}));
}

TEST(TaskFile, EmptyInputHasNoCommands) {
  EXPECT_TRUE(parse("").commands.empty());
  EXPECT_TRUE(parse("\n# only\n\n").commands.empty());
}

TEST(TaskFile, NulByteIsAUsageErrorNamingTheLine) {
  try {
    parse(std::string("echo a\necho \0b\n", 15));
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "tasks.txt line 2: a NUL byte cannot be part of a command");
  }
}

TEST(TaskFile, MissingFileIsAUsageError) {
  try {
    read_task_file("/nonexistent/tasks.txt");
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "--tasks: cannot open /nonexistent/tasks.txt: No such file or directory");
  }
}

TEST(TaskFile, DigestFollowsTheCommands) {
  EXPECT_EQ(task_list_digest(parse("a\nb\n")), task_list_digest(parse("# c\na\n\nb")));
  EXPECT_NE(task_list_digest(parse("a\nb\n")), task_list_digest(parse("ab\n")));
  EXPECT_NE(task_list_digest(parse("a\nb\n")), task_list_digest(parse("b\na\n")));
  EXPECT_EQ(task_list_digest(parse("")).size(), 16u);
}

}  // namespace
}  // namespace rankpool::exec
