#include "reposts/repost_page.hpp"

#include <gtest/gtest.h>

#include "reposts/detail/utf8.hpp"
#include "reposts/mock_data.hpp"

namespace rankpool::reposts {
namespace {

TEST(ParseRepostPage, KeepsEachRepostAsSent) {
  auto page = parse_repost_page(R"({"reposts":[{"created_at":"x","id":5,"text":"转发 \"q\""},{"idstr":"4"}],)"
                                R"("total_number":7,"next_cursor":4,"previous_cursor":0})");
  EXPECT_EQ(page.total_number, 7);
  EXPECT_EQ(page.next_cursor, 4);
  ASSERT_EQ(page.reposts.size(), 2u);
  EXPECT_EQ(page.reposts[0].id, 5);
  EXPECT_EQ(page.reposts[0].json, R"({"created_at":"x","id":5,"text":"转发 \"q\""})") << "keys stay in the api's order";
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
  expect_malformed(R"({"reposts":[{"id":1},)",
                   "not json (21 bytes): JSON document ended early in the middle of an object or array.");
  expect_malformed("", "not json (0 bytes)");
  expect_malformed("[]", "not a json object");
  expect_malformed("17", "not a json object");
  expect_malformed(R"({"total_number":1})", "no reposts array");
  expect_malformed(R"({"reposts":{},"total_number":1})", "no reposts array");
  expect_malformed(R"({"reposts":[]})", "no total_number");
  expect_malformed(R"({"reposts":[],"total_number":-1})", "no total_number");
  expect_malformed(R"({"reposts":[],"total_number":1.5})", "no total_number");
  expect_malformed(R"({"reposts":[],"total_number":99999999999999999999})", "no total_number");
  expect_malformed(R"({"reposts":[3],"total_number":1})", "repost 0 is not an object");
  expect_malformed(R"({"reposts":[{"id":1},{"id":1.5}],"total_number":1})", "repost 1 has no integer id");
  expect_malformed(R"({"reposts":[{"id":-4}],"total_number":1})", "repost 0 has no integer id");
  expect_malformed(R"({"reposts":[{"idstr":"12a"}],"total_number":1})", "repost 0 has no integer id");
  expect_malformed(R"({"reposts":[],"reposts":[],"total_number":1})", "two reposts arrays");
  expect_malformed(R"({"reposts":[],"total_number":1,"error_code":21332})", "an error body");
}

// Every value is checked, also those the client does not read.
TEST(ParseRepostPage, ValidatesEveryValue) {
  const std::string head = R"({"reposts":[{"id":1,"x":)";
  const std::string tail = R"(}],"total_number":1})";
  for (const char* bad : {"tru", "nul", "01", "1.", "-", "1e", ".5", "+1", R"("a\q")", R"("\u12")", "[1,]"}) {
    EXPECT_THROW((void)parse_repost_page(head + bad + tail), MalformedPage) << bad;
  }
  for (const char* good : {"true", "null", "0", "-0.5e+3", "1E2", R"("\u12aB\n\/")", "[]", "{}", "[[{}]]"}) {
    EXPECT_NO_THROW((void)parse_repost_page(head + good + tail)) << good;
  }
  EXPECT_THROW((void)parse_repost_page(R"({"reposts":[],"total_number":1,"x":tru})"), MalformedPage);
  EXPECT_THROW((void)parse_repost_page(R"({"reposts":[],"total_number":1} {})"), MalformedPage);
  EXPECT_THROW((void)parse_repost_page(R"({"reposts":[],"total_number":1,"a\z":1})"), MalformedPage);
  EXPECT_THROW((void)parse_repost_page("{\"reposts\":[],\"total_number\":1,\"t\":\"a\x01\"}"), MalformedPage)
      << "a raw control character in a string";
}

TEST(ParseRepostPage, NumbersAndSpacingStayAsSent) {
  const std::string repost = R"({"id":1E2, "idstr" : "100", "big":123456789012345678901234567890,"r":-0.50e-3})";
  auto page = parse_repost_page(R"({"reposts":[ )" + repost + R"( ],"total_number":1})");
  ASSERT_EQ(page.reposts.size(), 1u);
  EXPECT_EQ(page.reposts[0].json, repost);
  EXPECT_EQ(page.reposts[0].id, 100) << "1E2 is not an integer: idstr";
}

TEST(ParseRepostPage, ARepostOverSeveralLinesBecomesOneLine) {
  auto page = parse_repost_page("{\"reposts\":[{\n  \"id\": 7,\n  \"t\": \"a b\\n\"\r\n}],\"total_number\":1}");
  ASSERT_EQ(page.reposts.size(), 1u);
  EXPECT_EQ(page.reposts[0].json, R"({"id":7,"t":"a b\n"})");
}

TEST(ParseRepostPage, BadUtf8IsReplacedNotFatal) {
  auto page = parse_repost_page(
      "{\"reposts\":[{\"id\":1,\"t\":\"a\xFF\xED\xA0\x80"
      "b \\ud800\"},{\"id\":2}],\"total_number\":2}");
  ASSERT_EQ(page.reposts.size(), 2u);
  EXPECT_EQ(page.reposts[0].json,
            "{\"id\":1,\"t\":\"a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "b \\ud800\"}")
      << "each bad byte one U+FFFD; the escaped lone surrogate as sent";
  EXPECT_EQ(page.reposts[1].json, R"({"id":2})");
}

TEST(ParseRepostPage, NestingLimit) {
  auto nested = [](int depth) {
    return R"({"reposts":[],"total_number":1,"x":)" + std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']') + "}";
  };
  EXPECT_NO_THROW((void)parse_repost_page(nested(kMaxJsonDepth - 1)));
  expect_malformed(nested(kMaxJsonDepth), "json nested deeper than 512");
  expect_malformed(nested(40000), "json nested deeper than 512");
  std::string in_repost =
      R"({"reposts":[{"id":1,"x":)" + std::string(509, '[') + std::string(509, ']') + R"(}],"total_number":1})";
  EXPECT_NO_THROW((void)parse_repost_page(in_repost)) << "512 levels in all";
  in_repost = R"({"reposts":[{"id":1,"x":)" + std::string(510, '[') + std::string(510, ']') + R"(}],"total_number":1})";
  expect_malformed(in_repost, "json nested deeper than 512");
}

TEST(ParseRepostPage, InPlaceGivesTheSameAndRestoresTheBody) {
  std::string body = R"({"reposts":[{"id":5,"t":"x"}],"total_number":9,"next_cursor":3})";
  const std::string copy = body;
  auto page = parse_repost_page_in_place(body);
  EXPECT_EQ(body, copy);
  EXPECT_EQ(page.total_number, 9);
  EXPECT_EQ(page.next_cursor, 3);
  ASSERT_EQ(page.reposts.size(), 1u);
  EXPECT_EQ(page.reposts[0], (Repost{5, R"({"id":5,"t":"x"})"}));
  std::string bad = "nope";
  EXPECT_THROW((void)parse_repost_page_in_place(bad), MalformedPage);
  EXPECT_EQ(bad, "nope");
}

// Small bodies are checked by simdjson's DOM parser first, big ones and odd
// ones (a 30-digit number) value by value: the same reposts either way.
TEST(ParseRepostPage, EveryPathGivesTheSameReposts) {
  MockPageQuery query;
  query.post_id = 42;
  query.total = 500;
  query.reachable = 500;
  query.count = 200;
  const std::string body = mock_page_body(query);
  const auto small = parse_repost_page(body);
  ASSERT_EQ(small.reposts.size(), 200u);
  const std::string big = body.substr(0, body.size() - 1) + R"(,"padding":")" + std::string(5 << 20, 'x') + "\"}";
  const auto padded = parse_repost_page(big);
  EXPECT_EQ(padded.reposts, small.reposts);
  EXPECT_EQ(padded.total_number, small.total_number);
  const std::string odd = body.substr(0, body.size() - 1) + R"(,"big":123456789012345678901234567890})";
  EXPECT_EQ(parse_repost_page(odd).reposts, small.reposts);
}

TEST(RepairUtf8, ReplacesEachMaximalBadSubpart) {
  using detail::repair_utf8;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(repair_utf8("plain é 微 😀"), "plain é 微 😀");
  EXPECT_EQ(repair_utf8("a\xFF"
                        "b"),
            "a" + fffd + "b");
  EXPECT_EQ(repair_utf8("\xC3"), fffd) << "cut short at the end";
  EXPECT_EQ(repair_utf8("\xE5\xBE"
                        "x"),
            fffd + "x")
      << "one U+FFFD for a cut sequence";
  EXPECT_EQ(repair_utf8("\xC0\xAF"), fffd + fffd) << "overlong";
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), fffd + fffd + fffd) << "an encoded surrogate";
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "above U+10FFFF";
  EXPECT_EQ(repair_utf8("\xF0\x9F\x98"), fffd);
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
  EXPECT_FALSE(parse_weibo_error(R"({"error_code":99999999999})")) << "beyond int32";
  EXPECT_FALSE(parse_weibo_error(R"({"error_code":1,"x":tru})")) << "not json";
  auto escaped = parse_weibo_error(R"({"error":"a\"b \u00e9","error_code":10008})");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->error, "a\"b é");
  auto surrogate = parse_weibo_error(R"({"error":"lone \ud800","error_code":10008})");
  ASSERT_TRUE(surrogate) << "a text that does not decode is left out, the code kept";
  EXPECT_EQ(surrogate->error_code, 10008);
}

}  // namespace
}  // namespace rankpool::reposts
