#include "reposts/mock_data.hpp"

#include <gtest/gtest.h>

#include <set>

#include "reposts/repost_page.hpp"

namespace rankpool::reposts {
namespace {

TEST(MockData, IdsGrowWithSerialAndDoNotCollide) {
  std::set<std::int64_t> ids;
  for (std::int64_t post : {1LL, 2LL, 4357489052193729LL, 4357489052193730LL}) {
    for (std::int64_t s = 0; s < 3000; ++s) {
      EXPECT_TRUE(ids.insert(mock_repost_id(post, s)).second);
      if (s > 0) {
        EXPECT_GT(mock_repost_id(post, s), mock_repost_id(post, s - 1));
      }
    }
    EXPECT_GT(mock_repost_id(post, 0), post);
  }
  EXPECT_GT(mock_repost_id(kMockMaxPostId, kMockMaxReposts - 1), 0) << "no overflow";
}

TEST(MockData, ExpectedIdIsNewestFirst) {
  EXPECT_EQ(expected_repost_id(10, 2500, 0), mock_repost_id(10, 2499));
  EXPECT_EQ(expected_repost_id(10, 2500, 2499), mock_repost_id(10, 0));
}

TEST(MockData, RepostIsDeterministicWeiboShaped) {
  auto a = mock_repost(4357489052193729, 17);
  EXPECT_EQ(a, mock_repost(4357489052193729, 17));
  EXPECT_NE(a, mock_repost(4357489052193729, 18));
  EXPECT_EQ(a.begin().key(), "created_at") << "keys in weibo's order";
  EXPECT_EQ(a["id"].get<std::int64_t>(), mock_repost_id(4357489052193729, 17));
  EXPECT_EQ(a["idstr"], std::to_string(a["id"].get<std::int64_t>()));
  EXPECT_EQ(a["retweeted_status"]["id"].get<std::int64_t>(), 4357489052193729);
  EXPECT_TRUE(a["user"]["id"].is_number_integer());
  EXPECT_TRUE(a["user"]["screen_name"].is_string());
  EXPECT_EQ(a["created_at"].get<std::string>().size(), 30u);
}

TEST(MockData, WeiboTime) {
  EXPECT_EQ(weibo_time(1389067200), "Tue Jan 07 12:00:00 +0800 2014");
  EXPECT_EQ(weibo_time(1389067200 + 12 * 3600 + 61), "Wed Jan 08 00:01:01 +0800 2014");
}

TEST(MockData, PagesCoverReachableNewestFirst) {
  MockPageQuery q;
  q.post_id = 99;
  q.total = 2500;
  q.reachable = 2000;
  q.count = 300;
  q.page = 7;  // k = 1800..2099, cut at the 2000 reachable
  auto page = parse_repost_page(mock_page_body(q));
  EXPECT_EQ(page.total_number, 2500);
  ASSERT_EQ(page.reposts.size(), 200u);
  for (std::size_t i = 0; i < page.reposts.size(); ++i) {
    EXPECT_EQ(page.reposts[i].id, expected_repost_id(99, 2500, 1800 + static_cast<std::int64_t>(i)));
  }
  EXPECT_EQ(page.next_cursor, 0);
  q.page = 8;
  EXPECT_TRUE(parse_repost_page(mock_page_body(q)).reposts.empty());
  q.page = 1;
  auto first = parse_repost_page(mock_page_body(q));
  EXPECT_EQ(first.next_cursor, expected_repost_id(99, 2500, 300));
}

TEST(MockData, SmallPost) {
  MockPageQuery q;
  q.post_id = 5;
  q.total = 3;
  q.reachable = 2000;
  q.count = 200;
  auto page = parse_repost_page(mock_page_body(q));
  EXPECT_EQ(page.total_number, 3);
  ASSERT_EQ(page.reposts.size(), 3u);
  EXPECT_EQ(page.reposts[0].id, mock_repost_id(5, 2));
  q.total = 0;
  EXPECT_TRUE(parse_repost_page(mock_page_body(q)).reposts.empty());
}

TEST(MockData, ErrorBody) {
  EXPECT_EQ(mock_error_body(21332, "invalid_access_token", "/2/statuses/repost_timeline.json"),
            R"({"error":"invalid_access_token","error_code":21332,"request":"/2/statuses/repost_timeline.json"})");
}

}  // namespace
}  // namespace rankpool::reposts
