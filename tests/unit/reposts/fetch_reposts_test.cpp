#include "reposts/fetch_reposts.hpp"

#include <gtest/gtest.h>

#include "reposts/mock_data.hpp"
#include "reposts/mock_server.hpp"
#include "test_support.hpp"

namespace rankpool::reposts {
namespace {

using testing::fast_client;
using testing::quiet_mock;

TEST(FetchPostReposts, StopsAtMaxPages) {
  MockWeiboServer server(quiet_mock());
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto post = fetch_post_reposts(client, 12, 200, 3);
  EXPECT_EQ(post.mid, 12);
  EXPECT_EQ(post.total_number, 2500);
  EXPECT_EQ(post.pages_fetched, 3);
  ASSERT_EQ(post.reposts.size(), 600u);
  for (std::size_t k = 0; k < post.reposts.size(); ++k) {
    ASSERT_EQ(post.reposts[k].id, expected_repost_id(12, 2500, static_cast<std::int64_t>(k)));
  }
}

TEST(FetchPostReposts, StopsAtFirstEmptyPage) {
  MockWeiboServer server(quiet_mock());
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto post = fetch_post_reposts(client, 12, 200, 50);
  EXPECT_EQ(post.pages_fetched, 11) << "10 full pages, then the empty page 11 ends it";
  EXPECT_EQ(post.reposts.size(), 2000u);
}

TEST(FetchPostReposts, NoReposts) {
  auto options = quiet_mock();
  options.total = 0;
  MockWeiboServer server(options);
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto post = fetch_post_reposts(client, 12, 200, 10);
  EXPECT_EQ(post.pages_fetched, 1);
  EXPECT_TRUE(post.reposts.empty());
  EXPECT_EQ(fetch_post_reposts(client, 12, 200, 0).pages_fetched, 0);
}

TEST(FetchPostReposts, NewRepostsWhilePagingAreDeduplicated) {
  auto options = quiet_mock();
  options.total = 500;
  options.new_reposts_per_request = 7;
  MockWeiboServer server(options);
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto post = fetch_post_reposts(client, 3, 100, 10);
  EXPECT_EQ(post.total_number, 500);
  // Each later page starts 7 further back: its first 7 repeat the page before.
  EXPECT_EQ(post.pages_fetched, 5);
  EXPECT_EQ(post.reposts.size(), 500u - 4 * 7);
  for (std::size_t k = 1; k < post.reposts.size(); ++k) {
    ASSERT_GT(post.reposts[k - 1].id, post.reposts[k].id) << "newest first, each id once";
  }
  EXPECT_EQ(post.reposts.front().id, mock_repost_id(3, 499));
}

TEST(FetchPostsReposts, MultiMatchesOneByOne) {
  auto options = quiet_mock();
  options.latency_ms = 20;
  MockWeiboServer server(options);
  server.start();
  const std::vector<std::int64_t> mids = {11, 4357489052193729, 5};
  WeiboClient client(fast_client(server.base_url()));
  MultiFetcher fetcher(fast_client(server.base_url()), 6);
  auto many = fetch_posts_reposts(fetcher, mids, 200, 4);
  ASSERT_EQ(many.size(), mids.size());
  for (std::size_t i = 0; i < mids.size(); ++i) {
    auto one = fetch_post_reposts(client, mids[i], 200, 4);
    EXPECT_EQ(many[i].mid, mids[i]);
    EXPECT_EQ(many[i].total_number, one.total_number);
    EXPECT_EQ(many[i].pages_fetched, one.pages_fetched);
    EXPECT_TRUE(many[i].reposts == one.reposts);
  }
}

}  // namespace
}  // namespace rankpool::reposts
