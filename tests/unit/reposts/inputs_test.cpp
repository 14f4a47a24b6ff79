#include "reposts/inputs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "reposts/errors.hpp"
#include "support/expect_message.hpp"

namespace rankpool::reposts {
namespace {

TEST(ParsePostId, AcceptsDigits) {
  EXPECT_EQ(parse_post_id("1"), 1);
  EXPECT_EQ(parse_post_id("4357489052193729"), 4357489052193729);
  EXPECT_EQ(parse_post_id("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_post_id("007"), 7);
}

TEST(ParsePostId, RejectsEverythingElse) {
  EXPECT_THROW_MSG((void)parse_post_id(""), InputError, "invalid post id '': empty");
  EXPECT_THROW_MSG((void)parse_post_id("abc"), InputError, "invalid post id 'abc': expected digits only");
  EXPECT_THROW_MSG((void)parse_post_id("-5"), InputError, "invalid post id '-5': expected digits only");
  EXPECT_THROW_MSG((void)parse_post_id("+5"), InputError, "invalid post id '+5': expected digits only");
  EXPECT_THROW_MSG((void)parse_post_id(" 5"), InputError, "invalid post id ' 5': expected digits only");
  EXPECT_THROW_MSG((void)parse_post_id("1e5"), InputError, "invalid post id '1e5': expected digits only");
  EXPECT_THROW_MSG((void)parse_post_id("0"), InputError, "invalid post id '0': must be greater than 0");
  EXPECT_THROW_MSG((void)parse_post_id("9223372036854775808"), InputError,
                   "invalid post id '9223372036854775808': does not fit in 64 bits");
}

TEST(ParseMids, CommentsBlanksCrlfAndRepeats) {
  auto ids = parse_mids_text("# posts\n\n  12 \r\n34 # second\r\n12\n\t\n56", "m.txt");
  EXPECT_EQ(ids, (std::vector<std::int64_t>{12, 34, 56}));
}

TEST(ParseMids, ErrorsNameFileAndLine) {
  EXPECT_THROW_MSG((void)parse_mids_text("12\n# ok\nabc\n", "m.txt"), InputError,
                   "mids file 'm.txt' line 3: invalid post id 'abc': expected digits only");
  EXPECT_THROW_MSG((void)parse_mids_text("12 34\n", "m.txt"), InputError,
                   "mids file 'm.txt' line 1: invalid post id '12 34': expected digits only");
  EXPECT_THROW_MSG((void)parse_mids_text("0\n", "m.txt"), InputError,
                   "mids file 'm.txt' line 1: invalid post id '0': must be greater than 0");
  EXPECT_THROW_MSG((void)parse_mids_text("# nothing\n\n", "m.txt"), InputError, "mids file 'm.txt': no post ids");
  EXPECT_THROW_MSG((void)parse_mids_text("", "m.txt"), InputError, "mids file 'm.txt': no post ids");
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rankpool-reposts-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

using MidsFile = TempDir;

TEST_F(MidsFile, ReadsFile) {
  auto path = write("mids.txt", "4357489052193729\n# c\n4357489052193730\n");
  EXPECT_EQ(parse_mids_file(path), (std::vector<std::int64_t>{4357489052193729, 4357489052193730}));
}

TEST_F(MidsFile, MissingFile) {
  auto path = dir_ / "absent.txt";
  EXPECT_THROW_MSG((void)parse_mids_file(path), InputError,
                   "mids file '" + path.string() + "': cannot open: No such file or directory");
}

TEST_F(MidsFile, EmptyFile) {
  auto path = write("empty.txt", "");
  EXPECT_THROW_MSG((void)parse_mids_file(path), InputError, "mids file '" + path.string() + "': no post ids");
}

TEST_F(MidsFile, MalformedLine) {
  auto path = write("bad.txt", "1\n2\n3x\n");
  EXPECT_THROW_MSG((void)parse_mids_file(path), InputError,
                   "mids file '" + path.string() + "' line 3: invalid post id '3x': expected digits only");
}

TEST(ValidateApiBase, AcceptsHttpAndHttps) {
  EXPECT_EQ(validate_api_base("https://api.weibo.com"), "https://api.weibo.com");
  EXPECT_EQ(validate_api_base("https://api.weibo.com/"), "https://api.weibo.com");
  EXPECT_EQ(validate_api_base("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(validate_api_base("HTTP://localhost:1/prefix/"), "HTTP://localhost:1/prefix");
  EXPECT_EQ(validate_api_base("http://[::1]:8080"), "http://[::1]:8080");
}

TEST(ValidateApiBase, RejectsOthers) {
  EXPECT_THROW_MSG((void)validate_api_base("ftp://x"), InputError,
                   "--api-base 'ftp://x': expected an http:// or https:// url");
  EXPECT_THROW_MSG((void)validate_api_base("api.weibo.com"), InputError,
                   "--api-base 'api.weibo.com': expected an http:// or https:// url");
  EXPECT_THROW_MSG((void)validate_api_base("http://"), InputError, "--api-base 'http://': not a valid url");
  EXPECT_THROW_MSG((void)validate_api_base(""), InputError, "--api-base '': expected an http:// or https:// url");
  EXPECT_THROW_MSG((void)validate_api_base("http://h/x?access_token=SECRET"), InputError,
                   "--api-base 'http://h/x?access_token=***': query and fragment are not allowed");
  EXPECT_THROW_MSG((void)validate_api_base("https://me:SECRET@h/"), InputError,
                   "--api-base 'https://***@h/': user info is not allowed (the token goes in "
                   "WEIBO_ACCESS_TOKEN)");
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(MidsFile, EndlessFileFailsAtTheLimit) {
  EXPECT_THROW_MSG((void)parse_mids_file("/dev/zero"), InputError,
                   "mids file '/dev/zero': larger than the limit of 64 MiB");
}

using TokenFile = TempDir;

TEST_F(TokenFile, EndlessFileFailsAtTheLimit) {
  std::vector<std::string> warnings;
  EXPECT_THROW_MSG((void)read_access_token("/dev/zero", [&](const std::string& w) { warnings.push_back(w); }),
                   InputError, "token file '/dev/zero': larger than the limit of 64 KiB");
  EXPECT_TRUE(warnings.empty()) << "a device is not a key file";
}

TEST_F(TokenFile, WarnsWhenOthersMayReadIt) {
  auto path = write("token", "2.00SECRET\n");
  std::vector<std::string> warnings;
  auto collect = [&](const std::string& w) { warnings.push_back(w); };
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(read_access_token(path, collect), "2.00SECRET");
  EXPECT_TRUE(warnings.empty());
  std::filesystem::permissions(path, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  EXPECT_EQ(read_access_token(path, collect), "2.00SECRET");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "token file '" + path.string() + "' is accessible by group or others (mode 0640); chmod 600 it");
  EXPECT_EQ(warnings[0].find("SECRET"), std::string::npos);
}

TEST_F(TokenFile, FileWinsAndIsTrimmed) {
  ScopedEnv env(kTokenEnv, "from-env");
  auto path = write("token", "  2.00SECRET\n");
  EXPECT_EQ(read_access_token(path), "2.00SECRET");
  EXPECT_EQ(read_access_token(std::nullopt), "from-env");
}

TEST_F(TokenFile, Errors) {
  ScopedEnv env(kTokenEnv, nullptr);
  EXPECT_THROW_MSG((void)read_access_token(std::nullopt), InputError,
                   "no access token: set WEIBO_ACCESS_TOKEN or pass --token-file");
  auto empty = write("empty", "\n");
  EXPECT_THROW_MSG((void)read_access_token(empty), InputError, "token file '" + empty.string() + "': empty");
  auto two = write("two", "SECRET1 SECRET2\n");
  EXPECT_THROW_MSG((void)read_access_token(two), InputError,
                   "token file '" + two.string() + "': expected one token, found whitespace inside");
  auto absent = dir_ / "absent";
  EXPECT_THROW_MSG((void)read_access_token(absent), InputError,
                   "token file '" + absent.string() + "': cannot open: No such file or directory");
}

}  // namespace
}  // namespace rankpool::reposts
