#include <gtest/gtest.h>

#include "factorial/number_list.hpp"
#include "rankpool/errors.hpp"
#include "support/expect_message.hpp"

namespace rankpool::factorial {
namespace {

void expect_usage_error(const std::string& text, const std::string& message) {
  try {
    NumberList::parse(text);
    FAIL() << "parsed '" << text << "'";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()), message);
  }
}

TEST(NumberList, ParsesNumbersAndInclusiveRangesInRequestOrder) {
  const NumberList list = NumberList::parse("5, 1-3,8,10-12,3");
  ASSERT_EQ(list.size(), 9u);
  std::vector<std::uint64_t> got;
  for (std::uint64_t i = 0; i < list.size(); ++i) got.push_back(list.at(i));
  EXPECT_EQ(got, (std::vector<std::uint64_t>{5, 1, 2, 3, 8, 10, 11, 12, 3}));
  EXPECT_EQ(list.max(), 12u);
}

TEST(NumberList, UptoIsOneToN) {
  const NumberList list = NumberList::upto(100);
  EXPECT_EQ(list.size(), 100u);
  EXPECT_EQ(list.at(0), 1u);
  EXPECT_EQ(list.at(99), 100u);
  EXPECT_THROW(list.at(100), std::out_of_range);
}

TEST(NumberList, RefusesBadInputWithAClearMessage) {
  expect_usage_error("", "--numbers: the list is empty");
  expect_usage_error(" ", "--numbers: the list is empty");
  expect_usage_error("1,,2", "--numbers: empty item in '1,,2'");
  expect_usage_error("abc", "--numbers: 'abc' is not a number or a range a-b");
  expect_usage_error("1-x", "--numbers: '1-x' is not a number or a range a-b");
  expect_usage_error("-5", "--numbers: '-5' is not a number or a range a-b");
  expect_usage_error("9-3", "--numbers: range '9-3' runs backwards");
  expect_usage_error("10000001", "--numbers: 10000001 is larger than the limit 10000000");
  expect_usage_error("99999999999999999999999", "--numbers: '99999999999999999999999' is larger than 10000000");
  expect_usage_error("1,2,", "--numbers: empty item in '1,2,'");
  EXPECT_THROW_MSG(NumberList::upto(0), UsageError, "--upto must be at least 1, not 0");
  EXPECT_THROW_MSG(NumberList::upto(-5), UsageError, "--upto must be at least 1, not -5");
  EXPECT_THROW_MSG(NumberList::upto(10'000'001), UsageError, "--upto 10000001 is larger than the limit 10000000");
}

}  // namespace
}  // namespace rankpool::factorial
