#include "reposts/repost_page.hpp"

#include <gtest/gtest.h>

namespace rankpool::reposts {
namespace {

TEST(ParseRepostPage, KeepsEachRepostAsSent) {
  auto page = parse_repost_page(
      R"({"reposts":[{"created_at":"x","id":5,"text":"转发 \"q\""},{"idstr":"4"}],)"
      R"("total_number":7,"next_cursor":4,"previous_cursor":0})");
  EXPECT_EQ(page.total_number, 7);
  EXPECT_EQ(page.next_cursor, 4);
  ASSERT_EQ(page.reposts.size(), 2u);
  EXPECT_EQ(page.reposts[0].id, 5);
  EXPECT_EQ(page.reposts[0].json, R"({"created_at":"x","id":5,"text":"转发 \"q\""})")
      << "keys stay in the api's order";
  EXPECT_EQ(page.reposts[1].id, 4) << "idstr when id is missing";
}

TEST(ParseRepostPage, BigIdsKeepPrecision) {
  auto page = parse_repost_page(R"({"reposts":[{"id":4611686018427387903}],"total_number":1})");
  EXPECT_EQ(page.reposts.at(0).id, 4611686018427387903);
}

TEST(ParseRepostPage, EmptyPage) {
  auto page = parse_repost_page(R"({"reposts":[],"total_number":2500})");
  EXPECT_EQ(page.total_number, 2500);
  EXPECT_TRUE(page.reposts.empty());
}

void expect_malformed(std::string_view body, const std::string& message) {
  try {
    (void)parse_repost_page(body);
    ADD_FAILURE() << "accepted " << body;
  } catch (const MalformedPage& e) {
    EXPECT_EQ(e.what(), message);
  }
}

TEST(ParseRepostPage, Malformed) {
  expect_malformed(R"({"reposts":[{"id":1},)", "not json (21 bytes, error at byte 22)");
  expect_malformed("", "not json (0 bytes, error at byte 1)");
  expect_malformed("[]", "not a json object");
  expect_malformed(R"({"total_number":1})", "no reposts array");
  expect_malformed(R"({"reposts":{},"total_number":1})", "no reposts array");
  expect_malformed(R"({"reposts":[]})", "no total_number");
  expect_malformed(R"({"reposts":[],"total_number":-1})", "no total_number");
  expect_malformed(R"({"reposts":[3],"total_number":1})", "repost 0 is not an object");
  expect_malformed(R"({"reposts":[{"id":1},{"id":1.5}],"total_number":1})",
                   "repost 1 has no integer id");
}

TEST(ParseWeiboError, ReadsErrorBodies) {
  auto error = parse_weibo_error(
      R"({"error":"invalid_access_token","error_code":21332,"request":"/2/statuses/repost_timeline.json"})");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error_code, 21332);
  EXPECT_EQ(error->error, "invalid_access_token");
  auto as_string = parse_weibo_error(R"({"error":"x","error_code":"10023"})");
  ASSERT_TRUE(as_string);
  EXPECT_EQ(as_string->error_code, 10023);
  EXPECT_FALSE(parse_weibo_error(R"({"reposts":[],"total_number":1})"));
  EXPECT_FALSE(parse_weibo_error("<html>500</html>"));
  EXPECT_FALSE(parse_weibo_error(""));
}

}  // namespace
}  // namespace rankpool::reposts
