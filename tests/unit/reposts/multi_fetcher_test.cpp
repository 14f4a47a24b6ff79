#include "reposts/multi_fetcher.hpp"

#include <gtest/gtest.h>

#include "reposts/mock_data.hpp"
#include "reposts/mock_server.hpp"
#include "test_support.hpp"

namespace rankpool::reposts {
namespace {

using testing::fast_client;
using testing::quiet_mock;
using testing::seconds_since;

std::vector<PageRequest> pages_of(std::int64_t mid, int count, int pages) {
  std::vector<PageRequest> out;
  for (int page = 1; page <= pages; ++page) {
    out.push_back(PageRequest{mid, count, page});
  }
  return out;
}

void expect_pages_match(const std::vector<RepostPage>& pages, std::int64_t mid, int count) {
  for (std::size_t p = 0; p < pages.size(); ++p) {
    auto expected =
        std::min<std::int64_t>(count, std::max<std::int64_t>(0, 2000 - static_cast<std::int64_t>(p) * count));
    ASSERT_EQ(pages[p].reposts.size(), static_cast<std::size_t>(expected)) << "page " << p + 1;
    for (std::size_t i = 0; i < pages[p].reposts.size(); ++i) {
      ASSERT_EQ(pages[p].reposts[i].id,
                expected_repost_id(mid, 2500, static_cast<std::int64_t>(p) * count + static_cast<std::int64_t>(i)));
    }
  }
}

TEST(MultiFetcher, AllPagesInOrder) {
  MockWeiboServer server(quiet_mock());
  server.start();
  MultiFetcher fetcher(fast_client(server.base_url()), 4);
  auto pages = fetcher.fetch_pages(pages_of(31, 200, 12));
  ASSERT_EQ(pages.size(), 12u);
  expect_pages_match(pages, 31, 200);
  EXPECT_EQ(fetcher.stats().requests, 12u);
  EXPECT_EQ(fetcher.stats().retries, 0u);
  // 4 kept-alive connections; the mock drops connections idle for 1 s, which
  // a slow (sanitized, loaded) run can hit.
  EXPECT_LE(fetcher.stats().connects, 8u) << "connections are reused";
  EXPECT_TRUE(fetcher.fetch_pages({}).empty());
}

TEST(MultiFetcher, RequestsOverlap) {
  auto options = quiet_mock();
  options.latency_ms = 200;
  MockWeiboServer server(options);
  server.start();
  MultiFetcher fetcher(fast_client(server.base_url()), 8);
  auto pages = fetcher.fetch_pages(pages_of(5, 20, 8));
  expect_pages_match(pages, 5, 20);
  EXPECT_GE(server.stats().most_at_once, 2u) << "the 8 requests went one at a time";
}

TEST(MultiFetcher, FaultsAreRetriedToTheSameResult) {
  auto options = quiet_mock();
  options.fail_rate = 0.2;
  options.truncate_rate = 0.05;
  options.reset_rate = 0.05;
  options.seed = 99;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.max_retries = 15;
  MultiFetcher fetcher(client_options, 3);
  auto pages = fetcher.fetch_pages(pages_of(77, 100, 20));
  expect_pages_match(pages, 77, 100);
  EXPECT_GT(fetcher.stats().retries, 0u);
  // Resets on reused connections can be resent by libcurl itself.
  EXPECT_LE(fetcher.stats().retries, server.stats().faults());
}

TEST(MultiFetcher, PermanentErrorThenRecovers) {
  auto options = quiet_mock();
  options.token = "right";
  MockWeiboServer server(options);
  server.start();
  MultiFetcher bad(fast_client(server.base_url(), "wrong"), 4);
  try {
    (void)bad.fetch_pages(pages_of(1, 10, 6));
    ADD_FAILURE() << "no error";
  } catch (const ApiError& e) {
    EXPECT_TRUE(e.permanent());
    EXPECT_EQ(e.error_code(), 21332);
  }
  MultiFetcher good(fast_client(server.base_url(), "right"), 4);
  EXPECT_THROW((void)good.fetch_pages({PageRequest{1, 0, 1}}), std::invalid_argument);
  expect_pages_match(good.fetch_pages(pages_of(1, 10, 3)), 1, 10);
}

TEST(MultiFetcher, StallTimesOut) {
  auto options = quiet_mock();
  options.stall_rate = 1.0;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.timeout = std::chrono::milliseconds(300);
  client_options.max_retries = 1;
  MultiFetcher fetcher(client_options, 2);
  try {
    (void)fetcher.fetch_pages(pages_of(1, 10, 2));
    ADD_FAILURE() << "no error";
  } catch (const ApiError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("after 2 attempts: Operation timed out"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.stats().stalled, 4u) << "2 pages, 2 attempts each, each timed out";
}

TEST(MultiFetcher, FetchEachKeepsGoingPastAFailedPage) {
  auto options = quiet_mock();
  options.missing_ids = {2};
  MockWeiboServer server(options);
  server.start();
  MultiFetcher fetcher(fast_client(server.base_url()), 3);
  std::vector<PageRequest> requests = {{1, 10, 1}, {2, 10, 1}, {3, 10, 1}, {2, 10, 2}, {3, 10, 2}};
  auto outcomes = fetcher.fetch_each(requests);
  ASSERT_EQ(outcomes.size(), 5u);
  for (std::size_t i : {0u, 2u, 4u}) {
    ASSERT_TRUE(outcomes[i].page) << i;
    EXPECT_FALSE(outcomes[i].error);
    EXPECT_EQ(outcomes[i].page->reposts.front().id,
              expected_repost_id(requests[i].mid, 2500, (requests[i].page - 1) * 10));
  }
  for (std::size_t i : {1u, 3u}) {
    ASSERT_TRUE(outcomes[i].error) << i;
    EXPECT_FALSE(outcomes[i].page);
    EXPECT_EQ(outcomes[i].error->error_code(), 20101);
  }
  EXPECT_THROW((void)fetcher.fetch_pages(requests), ApiError) << "fetch_pages still stops at the first";
}

// Answers in flight share one cap: eight 300 kB answers through a 1 MB cap
// all arrive, and at no time are more than 1 MB held.
TEST(MultiFetcher, AnswersInFlightShareTheCap) {
  auto options = quiet_mock();
  options.pad_bytes = 300'000;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.max_answer_bytes = 1'000'000;
  MultiFetcher fetcher(client_options, 8);
  auto pages = fetcher.fetch_pages(pages_of(9, 10, 8));
  expect_pages_match(pages, 9, 10);
  EXPECT_LE(fetcher.stats().peak_answer_bytes, 1'000'000u + kParsePadding);
  EXPECT_GE(fetcher.stats().peak_answer_bytes, 300'000u);
  // Two answers bigger than half the cap: one must wait for the other (or
  // start over), never a deadlock.
  client_options.max_answer_bytes = 450'000;
  MultiFetcher tight(client_options, 2);
  expect_pages_match(tight.fetch_pages(pages_of(9, 10, 4)), 9, 10);
  EXPECT_LE(tight.stats().peak_answer_bytes, 450'000u + kParsePadding);
}

TEST(MultiFetcher, RejectsZeroInFlight) {
  EXPECT_THROW(MultiFetcher(fast_client("http://127.0.0.1:1"), 0), std::invalid_argument);
}

}  // namespace
}  // namespace rankpool::reposts
