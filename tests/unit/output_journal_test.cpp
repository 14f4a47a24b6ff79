#include <fcntl.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include "support/expect_message.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "cli/output_journal.hpp"
#include "cli/safe_file.hpp"
#include "factorial/factorial_entry.hpp"
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
  static void spit(const std::string& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }
  /// The message of the UsageError `make` throws, or "" if it throws none.
  template <class F>
  static std::string usage_error(F make) {
    try {
      make();
    } catch (const UsageError& error) {
      return error.what();
    }
    return "";
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
    torn << "2 100 0badc0de\npartial";
  }
  OutputJournal resumed(out, "run", true);
  EXPECT_TRUE(resumed.done(0));
  EXPECT_TRUE(resumed.done(1));
  EXPECT_FALSE(resumed.done(2));
  resumed.append(2, "two");
  write_lines(resumed);
  EXPECT_EQ(slurp(out), "zero\none\ntwo\n");
}

TEST_F(JournalTest, ResumeRefusesADamagedSizeThatWholeEntriesFollow) {
  const std::string out = path("out.txt");
  {
    OutputJournal journal(out, "run", false);
    for (int key = 0; key < 5; ++key) journal.append(key, "entry " + std::to_string(key));
  }
  // Entry 2's size says 9007 bytes: past the end, but entries 3 and 4 follow whole.
  std::string text = slurp(out + ".partial");
  const auto at = text.find("\n1 7 ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 5, "\n1 9007 ");
  spit(out + ".partial", text);
  const std::string error = usage_error([&] { OutputJournal(out, "run", true); });
  EXPECT_NE(error.find("entry 2"), std::string::npos) << error;
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
}

TEST_F(JournalTest, ResumeOntoACompleteOutputRunsNothing) {
  const std::string out = path("out.txt");
  {
    OutputJournal journal(out, "run", false);
    journal.append(0, "zero");
    write_lines(journal);
  }
  EXPECT_THROW(OutputJournal(out, "run", true), AlreadyComplete);
  EXPECT_EQ(slurp(out), "zero\n");
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(JournalTest, ResumeRefusesAnotherRunsJournal) {
  const std::string out = path("out.txt");
  { OutputJournal journal(out, "run A", false); }
  EXPECT_THROW_HAS(OutputJournal(out, "run B", true), UsageError,
                   "was written by a different run; remove it or use --fresh");
}

TEST_F(JournalTest, RefusesAMissingFolder) {
  try {
    OutputJournal journal(path("nope/out.txt"), "run", false);
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
  }
}

TEST_F(JournalTest, RefusesAnEarlierJournalWithoutResumeOrFresh) {
  const std::string out = path("out.txt");
  {
    OutputJournal journal(out, "run", false);
    journal.append(0, "zero");
  }
  const std::string before = slurp(out + ".partial");
  const std::string message = usage_error([&] { OutputJournal(out, "run", JournalMode::kNew); });
  EXPECT_NE(message.find("add --resume"), std::string::npos) << message;
  EXPECT_NE(message.find("--fresh"), std::string::npos) << message;
  EXPECT_EQ(slurp(out + ".partial"), before);
  OutputJournal fresh(out, "run", JournalMode::kFresh);
  EXPECT_EQ(fresh.done_count(), 0u);
  fresh.append(1, "one");
  write_lines(fresh);
  EXPECT_EQ(slurp(out), "one\n");
}

TEST_F(JournalTest, NeverWritesThroughALinkPlantedAtTheJournal) {
  const std::string out = path("out.txt");
  const std::string target = path("precious.txt");
  spit(target, "precious");
  fs::create_symlink(target, out + ".partial");
  for (JournalMode mode : {JournalMode::kNew, JournalMode::kResume}) {
    const std::string message = usage_error([&] { OutputJournal(out, "run", mode); });
    EXPECT_NE(message.find("symbolic link"), std::string::npos) << message;
  }
  {
    OutputJournal fresh(out, "run", JournalMode::kFresh);
    fresh.append(0, "zero");
    write_lines(fresh);
  }
  EXPECT_EQ(slurp(target), "precious");
  EXPECT_EQ(slurp(out), "zero\n");
}

TEST_F(JournalTest, FinalFileGoesThroughAnUnpredictableTemporaryName) {
  const std::string out = path("out.txt");
  const std::string target = path("precious.txt");
  spit(target, "precious");
  fs::create_symlink(target, out + ".tmp");
  {
    OutputJournal journal(out, "run", false);
    journal.append(0, "zero");
    write_lines(journal);
  }
  EXPECT_EQ(slurp(target), "precious");
  EXPECT_EQ(slurp(out), "zero\n");
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::owner_read, fs::perms::owner_read);
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find("out.txt.tmp-"), std::string::npos) << entry.path();
}

TEST_F(JournalTest, ResumeRefusesABadEntryNamingTheJournalAndTheEntry) {
  const std::string out = path("out.txt");
  auto only_short_words = [](std::uint64_t key, std::string_view payload) {
    if (key > 9) throw std::invalid_argument("is not a task");
    if (payload.size() > 5) throw std::invalid_argument("is too long");
  };
  struct Case {
    std::string label;
    std::function<void(OutputJournal&)> append;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"unknown key", [](OutputJournal& j) { j.append(12, "x"); }, "(key 12): is not a task"},
      {"duplicate", [](OutputJournal& j) { j.append(0, "again"); }, "repeats key 0"},
      {"bad value", [](OutputJournal& j) { j.append(3, "far too long"); }, "(key 3): is too long"},
  };
  for (const Case& c : cases) {
    {
      OutputJournal journal(out, "run", JournalMode::kFresh);
      journal.append(0, "zero");
      c.append(journal);
    }
    const std::string message = usage_error([&] { OutputJournal(out, "run", JournalMode::kResume, only_short_words); });
    EXPECT_NE(message.find(out + ".partial: entry 2 "), std::string::npos) << c.label << ": " << message;
    EXPECT_NE(message.find(c.want), std::string::npos) << c.label << ": " << message;
  }
  // A changed byte inside a value: the checksum no longer matches.
  {
    OutputJournal journal(out, "run", JournalMode::kFresh);
    journal.append(0, "zero");
    journal.append(1, "one");
  }
  std::string bytes = slurp(out + ".partial");
  bytes[bytes.rfind("one")] = 'O';
  spit(out + ".partial", bytes);
  const std::string message = usage_error([&] { OutputJournal(out, "run", JournalMode::kResume); });
  EXPECT_NE(message.find("entry 2 "), std::string::npos) << message;
  EXPECT_NE(message.find("checksum"), std::string::npos) << message;
}

TEST_F(JournalTest, JournalOfStdoutLivesInAPrivateFolderThatGoesWithIt) {
  std::string journal_path;
  {
    OutputJournal journal("", "run", false);
    journal_path = journal.journal_path();
    EXPECT_FALSE(journal.resumable());
    EXPECT_EQ(fs::status(fs::path(journal_path).parent_path()).permissions() & fs::perms::all, fs::perms::owner_all);
    journal.append(0, "zero");
  }
  EXPECT_FALSE(fs::exists(fs::path(journal_path).parent_path()));
  EXPECT_NE(usage_error([] { OutputJournal("-", "run", JournalMode::kResume); }).find("--resume needs --out FILE"),
            std::string::npos);
}

TEST_F(JournalTest, AFailedWriteToADeviceSaysWhichAndWhy) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  OutputJournal journal("/dev/full", "run", false);
  journal.append(0, std::string(1 << 17, 'x'));
  try {
    write_lines(journal);
    FAIL() << "wrote to /dev/full";
  } catch (const RuntimeError& error) {
    EXPECT_EQ(std::string(error.what()), "cannot write /dev/full: No space left on device");
  }
}

TEST_F(JournalTest, EntriesOfEverySizeComeBackWhole) {
  const std::string out = path("out.txt");
  const std::string big(300'000, 'b');
  {
    OutputJournal journal(out, "run", false);
    journal.append(0, big);
    journal.append(1, "");
    journal.append(2, "small");
    journal.append(3, big + "c");
  }
  OutputJournal resumed(out, "run", true);
  EXPECT_EQ(resumed.read(0), big);
  EXPECT_EQ(resumed.read(2), "small");
  write_lines(resumed);
  EXPECT_EQ(slurp(out), big + "\n\nsmall\n" + big + "c\n");
}

TEST_F(JournalTest, WriteAllGathersManyPartsInOrder) {
  std::vector<std::string> texts;
  std::vector<std::string_view> parts;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    texts.push_back(i % 7 == 0 ? std::string()
                               : std::string(static_cast<std::size_t>(i * 997 % 70'000), char('a' + i % 26)));
    expected += texts.back();
  }
  for (const auto& text : texts) parts.push_back(text);
  const std::string file = path("parts.txt");
  const int fd = create_new_file(file, O_WRONLY);
  ASSERT_GE(fd, 0);
  write_all(fd, parts, file);
  ::close(fd);
  EXPECT_EQ(slurp(file), expected);
}

TEST_F(JournalTest, WriteAllOfPartsSaysWhichAndWhy) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const int fd = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  const std::string_view parts[] = {"head\n", "payload", "\n"};
  try {
    write_all(fd, parts, "/dev/full");
    FAIL() << "wrote to /dev/full";
  } catch (const RuntimeError& error) {
    EXPECT_EQ(std::string(error.what()), "cannot write /dev/full: No space left on device");
  }
  ::close(fd);
}

TEST(FactorialEntry, TakesOnlyTheRightNAndDigitsThatCanBeItsFactorial) {
  const factorial::NumberList numbers = factorial::NumberList::parse("25,3");
  const std::string good = "25\t15511210043330985984000000";
  EXPECT_NO_THROW(factorial::check_factorial_entry(numbers, 0, good));
  EXPECT_NO_THROW(factorial::check_factorial_entry(numbers, 1, "3\t6"));
  auto reason = [&](std::uint64_t key, const std::string& payload) {
    try {
      factorial::check_factorial_entry(numbers, key, payload);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(reason(2, good), "is not one of this run's 2 tasks");
  EXPECT_EQ(reason(1, good), "is for n = 25, but task 1 is n = 3");
  EXPECT_EQ(reason(0, "25\t"), "has no digits");
  EXPECT_EQ(reason(0, ""), "is not 'n<TAB>n!'");
  EXPECT_EQ(reason(0, "25\t1551121004333098598400000"), "has 25 digits; 25! has 26");
  EXPECT_EQ(reason(0, "25\t15511210043330985984000001"), "does not end in the 6 zeros 25! ends in");
  EXPECT_EQ(reason(0, "25\t15511210043330985984100000"), "does not end in the 6 zeros 25! ends in");
  EXPECT_EQ(reason(0, "25\t15511210043330995984000000"), "has a digit sum 25! cannot have (a changed digit)");
  EXPECT_EQ(reason(0, "25\t1551121004333098598400000x"), "has a character that is not a decimal digit");
}

}  // namespace
}  // namespace rankpool::cli
