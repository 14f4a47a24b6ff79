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

TEST(TaskFile, LongLinesAndALastLineWithoutNewlineComeWhole) {
  const std::string long_command = "echo " + std::string(10000, 'x');
  const TaskList tasks = parse(long_command + "\necho last");
  ASSERT_EQ(tasks.commands.size(), 2u);
  EXPECT_EQ(tasks.commands[0], long_command);
  EXPECT_EQ(tasks.commands[1], "echo last");
  EXPECT_EQ(tasks.lines, (std::vector<std::uint64_t>{1, 2}));
}

/// An endless stream of one byte (/dev/zero's kind).
class Endless : public std::streambuf {
 public:
  explicit Endless(char byte) { block_.assign(1 << 16, byte); }

 protected:
  int_type underflow() override {
    setg(block_.data(), block_.data(), block_.data() + block_.size());
    return traits_type::to_int_type(block_[0]);
  }

 private:
  std::string block_;
};

TEST(TaskFile, AnEndlessInputStopsAtTheCap) {
  for (const char byte : {'\0', '\n', 'x'}) {
    Endless source(byte);
    std::istream in(&source);
    try {
      read_task_list(in, "/dev/zero");
      ADD_FAILURE() << "no error for byte " << int(byte);
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("64 MiB"), std::string::npos) << error.what();
    }
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
