#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/output_journal.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::cli {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rankpool-journal-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string slurp(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static void write_lines(OutputJournal& journal) {
    journal.finish([](std::uint64_t, std::string_view payload, std::ostream& out) { out << payload << '\n'; });
  }
  fs::path dir_;
};

TEST_F(JournalTest, FinalFileAppearsOnlyWhenFinishedInKeyOrder) {
  const std::string out = path("out.txt");
  {
    OutputJournal journal(out, "run", false);
    journal.append(2, "two");
    journal.append(0, "zero\twith tab");
    journal.append(1, "one\nspanning lines");
    EXPECT_FALSE(fs::exists(out));
    EXPECT_TRUE(fs::exists(out + ".partial"));
    write_lines(journal);
  }
  EXPECT_EQ(slurp(out), "zero\twith tab\none\nspanning lines\ntwo\n");
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(JournalTest, ResumeKeepsWholeEntriesAndDropsATornTail) {
  const std::string out = path("out.txt");
  {
    OutputJournal journal(out, "run", false);
    journal.append(0, "zero");
    journal.append(1, "one");
  }
  {
    std::ofstream torn(out + ".partial", std::ios::app);
    torn << "2 100\npartial";
  }
  OutputJournal resumed(out, "run", true);
  EXPECT_TRUE(resumed.done(0));
  EXPECT_TRUE(resumed.done(1));
  EXPECT_FALSE(resumed.done(2));
  resumed.append(2, "two");
  write_lines(resumed);
  EXPECT_EQ(slurp(out), "zero\none\ntwo\n");
}

TEST_F(JournalTest, ResumeRefusesAnotherRunsJournal) {
  const std::string out = path("out.txt");
  { OutputJournal journal(out, "run A", false); }
  EXPECT_THROW(OutputJournal(out, "run B", true), UsageError);
}

TEST_F(JournalTest, RefusesAMissingFolder) {
  try {
    OutputJournal journal(path("nope/out.txt"), "run", false);
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace rankpool::cli
