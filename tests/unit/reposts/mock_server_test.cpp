#include "reposts/mock_server.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "reposts/mock_data.hpp"
#include "reposts/repost_page.hpp"
#include "test_support.hpp"

namespace rankpool::reposts {
namespace {

using testing::quiet_mock;
using testing::raw_get;
using testing::seconds_since;

class MockServer : public ::testing::Test {
 protected:
  void start(MockWeiboOptions options) {
    server_ = std::make_unique<MockWeiboServer>(std::move(options));
    server_->start();
  }
  std::string url(const std::string& query) const {
    return server_->base_url() + "/2/statuses/repost_timeline.json?" + query;
  }
  std::unique_ptr<MockWeiboServer> server_;
};

void expect_error(const testing::RawAnswer& answer, long status, int code) {
  EXPECT_EQ(answer.curl_code, 0);
  EXPECT_EQ(answer.status, status);
  auto body = nlohmann::json::parse(answer.body);
  EXPECT_EQ(body["error_code"], code) << answer.body;
  EXPECT_EQ(body["request"], "/2/statuses/repost_timeline.json");
  EXPECT_TRUE(body["error"].is_string());
}

TEST_F(MockServer, BaseUrlAndPort) {
  start(quiet_mock());
  EXPECT_GT(server_->port(), 0);
  EXPECT_EQ(server_->base_url(), "http://127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(MockServer, ServesPagesNewestFirst) {
  start(quiet_mock());
  auto answer = raw_get(url("id=42&count=5&page=2&access_token=t"));
  ASSERT_EQ(answer.status, 200);
  auto page = parse_repost_page(answer.body);
  EXPECT_EQ(page.total_number, 2500);
  ASSERT_EQ(page.reposts.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(page.reposts[i].id, expected_repost_id(42, 2500, 5 + i));
  }
  auto doc = nlohmann::json::parse(answer.body);
  EXPECT_EQ(doc["previous_cursor"], 0);
  EXPECT_EQ(doc["hasvisible"], false);
  EXPECT_EQ(server_->stats().pages, 1u);
}

TEST_F(MockServer, CountDefaultsAndClipping) {
  start(quiet_mock());
  EXPECT_EQ(parse_repost_page(raw_get(url("id=1&access_token=t")).body).reposts.size(), 20u);
  EXPECT_EQ(parse_repost_page(raw_get(url("id=1&count=500&access_token=t")).body).reposts.size(), 200u);
  EXPECT_EQ(parse_repost_page(raw_get(url("id=1&count=0&access_token=t")).body).reposts.size(), 1u);
  auto past = parse_repost_page(raw_get(url("id=1&count=200&page=11&access_token=t")).body);
  EXPECT_TRUE(past.reposts.empty()) << "only 2000 reachable";
  EXPECT_EQ(past.total_number, 2500);
}

TEST_F(MockServer, TokenChecks) {
  auto options = quiet_mock();
  options.token = "right";
  start(options);
  expect_error(raw_get(url("id=1")), 403, 21332);
  expect_error(raw_get(url("id=1&access_token=wrong")), 403, 21332);
  EXPECT_EQ(raw_get(url("id=1&access_token=right")).status, 200);
  EXPECT_EQ(raw_get(url("id=1"), "Authorization: OAuth2 right").status, 200);
  EXPECT_EQ(server_->stats().auth_errors, 2u);
}

TEST_F(MockServer, AnyNonEmptyTokenWithoutConfiguredOne) {
  start(quiet_mock());
  EXPECT_EQ(raw_get(url("id=1&access_token=whatever")).status, 200);
  expect_error(raw_get(url("id=1&access_token=")), 403, 21332);
}

TEST_F(MockServer, BadIds) {
  start(quiet_mock());
  expect_error(raw_get(url("access_token=t")), 400, 10016);
  for (const char* id : {"abc", "-5", "0", "1.5", "99999999999999999999", "4611686018427387904"}) {
    expect_error(raw_get(url(std::string("id=") + id + "&access_token=t")), 400, 10017);
  }
  expect_error(raw_get(url("id=1&count=x&access_token=t")), 400, 10017);
  EXPECT_EQ(server_->stats().bad_requests, 8u);
}

TEST_F(MockServer, UnknownPath) {
  start(quiet_mock());
  auto answer = raw_get(server_->base_url() + "/2/statuses/nothing.json");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(nlohmann::json::parse(answer.body)["error_code"], 10020);
}

// A window of an hour: every request of the test falls inside it, however slow the machine.
TEST_F(MockServer, RateLimitPerToken) {
  auto options = quiet_mock();
  options.rate_limit = 2;
  options.rate_window_s = 3600;
  start(options);
  EXPECT_EQ(raw_get(url("id=1&access_token=a")).status, 200);
  EXPECT_EQ(raw_get(url("id=1&access_token=a")).status, 200);
  expect_error(raw_get(url("id=1&access_token=a")), 403, 10023);
  EXPECT_EQ(raw_get(url("id=1&access_token=b")).status, 200) << "per token";
  EXPECT_EQ(server_->stats().rate_limited, 1u);
}

// Requests older than the window no longer count: the sleep only makes sure the window has passed.
TEST_F(MockServer, RateLimitWindowSlides) {
  auto options = quiet_mock();
  options.rate_limit = 1;
  options.rate_window_s = 0.2;
  start(options);
  EXPECT_EQ(raw_get(url("id=1&access_token=a")).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(raw_get(url("id=1&access_token=a")).status, 200) << "window passed";
  EXPECT_EQ(server_->stats().rate_limited, 0u);
}

TEST_F(MockServer, NewRepostsShiftTheList) {
  auto options = quiet_mock();
  options.total = 100;
  options.new_reposts_per_request = 3;
  start(options);
  auto first = parse_repost_page(raw_get(url("id=7&count=10&access_token=t")).body);
  auto second = parse_repost_page(raw_get(url("id=7&count=10&access_token=t")).body);
  EXPECT_EQ(first.total_number, 100);
  EXPECT_EQ(second.total_number, 103);
  EXPECT_EQ(second.reposts[3].id, first.reposts[0].id);
}

TEST_F(MockServer, InjectedFailures) {
  auto options = quiet_mock();
  options.fail_rate = 1.0;
  start(options);
  auto answer = raw_get(url("id=1&access_token=t"));
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(server_->stats().failed, 1u);
}

TEST_F(MockServer, InjectedTruncation) {
  auto options = quiet_mock();
  options.truncate_rate = 1.0;
  start(options);
  int partial = 0;
  int bad_json = 0;
  for (int i = 0; i < 12; ++i) {
    auto answer = raw_get(url("id=1&count=50&access_token=t"));
    if (answer.curl_code == CURLE_PARTIAL_FILE) {
      ++partial;
    } else {
      EXPECT_EQ(answer.curl_code, 0);
      EXPECT_EQ(answer.status, 200);
      EXPECT_THROW((void)parse_repost_page(answer.body), MalformedPage);
      ++bad_json;
    }
  }
  EXPECT_GT(partial, 0);
  EXPECT_GT(bad_json, 0);
  EXPECT_EQ(server_->stats().truncated, 12u);
}

TEST_F(MockServer, InjectedReset) {
  auto options = quiet_mock();
  options.reset_rate = 1.0;
  start(options);
  auto answer = raw_get(url("id=1&access_token=t"));
  EXPECT_TRUE(answer.curl_code == CURLE_GOT_NOTHING || answer.curl_code == CURLE_RECV_ERROR) << answer.curl_code;
  EXPECT_EQ(answer.status, 0);
  EXPECT_EQ(server_->stats().reset, 1u);
}

TEST_F(MockServer, StopWakesStalledRequests) {
  auto options = quiet_mock();
  options.stall_rate = 1.0;
  options.stall_ms = 60'000;
  start(options);
  auto pending = std::async(std::launch::async, [this] { return raw_get(url("id=1&access_token=t")); });
  while (server_->stats().stalled == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_->stop();
  // A hang guard only: a stalled request that stop() did not wake waits 60 s.
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  (void)pending.get();
}

TEST_F(MockServer, LatencyIsPerRequestNotQueued) {
  auto options = quiet_mock();
  options.latency_ms = 400;
  options.threads = 128;
  start(options);
  constexpr int kClients = 100;
  std::vector<std::future<testing::RawAnswer>> answers;
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    answers.push_back(std::async(std::launch::async, [this, i] {
      return raw_get(url("id=" + std::to_string(i + 1) + "&count=2&access_token=t"));
    }));
  }
  for (auto& answer : answers) {
    EXPECT_EQ(answer.get().status, 200);
  }
  EXPECT_GE(seconds_since(begin), 0.4) << "the latency was not applied";
  // Queued behind each other they would be served one at a time.
  EXPECT_GE(server_->stats().most_at_once, 10u) << "requests were queued behind each other";
  EXPECT_EQ(server_->stats().requests, static_cast<std::uint64_t>(kClients));
}

TEST_F(MockServer, MissingIdsAnswerAsDeletedPosts) {
  auto options = quiet_mock();
  options.missing_ids = {5, 6};
  start(options);
  expect_error(raw_get(url("id=5&access_token=t")), 400, 20101);
  expect_error(raw_get(url("id=6&page=3&access_token=t")), 400, 20101);
  EXPECT_EQ(raw_get(url("id=7&access_token=t")).status, 200);
  EXPECT_EQ(server_->stats().missing, 2u);
}

TEST_F(MockServer, EchoTokenQuotesItEncoded) {
  const std::pair<const char*, const char*> cases[] = {
      {"raw", "a/b+c d"}, {"lower", "a%2fb%2bc%20d"}, {"upper", "a%2Fb%2Bc%20d"}, {"plus", "a%2fb%2bc+d"}};
  for (auto [mode, shown] : cases) {
    auto options = quiet_mock();
    options.echo_token = mode;
    start(options);
    auto answer = raw_get(url("id=5&access_token=a%2Fb%2Bc%20d"));
    expect_error(answer, 400, 10008);
    EXPECT_EQ(nlohmann::json::parse(answer.body)["error"],
              std::string("param error: access_token ") + shown + " is not accepted");
    server_.reset();
  }
}

TEST_F(MockServer, RetryAfterOnInjectedFailures) {
  auto options = quiet_mock();
  options.fail_rate = 1.0;
  options.retry_after = "9223372036854775807";
  start(options);
  std::string headers;
  auto answer = raw_get(url("id=5&access_token=t"));
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.retry_after, "9223372036854775807");
}

TEST_F(MockServer, OutOfOrderPagesHoldTheSameReposts) {
  auto options = quiet_mock();
  options.total = 45;
  start(options);
  std::vector<std::int64_t> in_order;
  for (int page = 1; page <= 5; ++page)
    for (const auto& r :
         parse_repost_page(raw_get(url("id=3&count=10&page=" + std::to_string(page) + "&access_token=t")).body).reposts)
      in_order.push_back(r.id);
  server_.reset();
  options.out_of_order = true;
  start(options);
  std::vector<std::int64_t> shuffled;
  for (int page = 1; page <= 5; ++page)
    for (const auto& r :
         parse_repost_page(raw_get(url("id=3&count=10&page=" + std::to_string(page) + "&access_token=t")).body).reposts)
      shuffled.push_back(r.id);
  EXPECT_NE(shuffled, in_order);
  EXPECT_EQ(shuffled.front(), in_order.back()) << "page 1 holds the oldest, oldest first";
  std::sort(shuffled.rbegin(), shuffled.rend());
  EXPECT_EQ(shuffled, in_order);
  EXPECT_TRUE(parse_repost_page(raw_get(url("id=3&count=10&page=6&access_token=t")).body).reposts.empty());
}

TEST_F(MockServer, OddTextAndNumbers) {
  auto options = quiet_mock();
  options.bad_text = true;
  options.odd_numbers = true;
  start(options);
  const auto body = raw_get(url("id=3&count=3&access_token=t")).body;
  EXPECT_NE(body.find("\xFF byte"), std::string::npos);
  EXPECT_NE(body.find("\\ud800"), std::string::npos);
  EXPECT_EQ(body.find("\xFF"), body.rfind("\xFF")) << "only the first repost of the page";
  EXPECT_NE(body.find(R"("score":1E2,"big_number":123456789012345678901234567890,"ratio":-0.50e-3)"),
            std::string::npos);
  auto page = parse_repost_page(body);
  ASSERT_EQ(page.reposts.size(), 3u);
  EXPECT_NE(page.reposts[0].json.find("\xEF\xBF\xBD byte"), std::string::npos) << "repaired by the client";
}

TEST_F(MockServer, PaddedPages) {
  auto options = quiet_mock();
  options.pad_bytes = 100'000;
  start(options);
  const auto answer = raw_get(url("id=3&count=2&access_token=t"));
  EXPECT_EQ(answer.status, 200);
  auto doc = nlohmann::json::parse(answer.body);
  EXPECT_EQ(doc["padding"].get<std::string>(), std::string(100'000, 'x'));
  EXPECT_EQ(doc["reposts"].size(), 2u);
}

TEST_F(MockServer, PagesAreRenderedOnceAndServedAsIs) {
  start(quiet_mock());
  const auto first = raw_get(url("id=3&count=200&page=2&access_token=t"));
  const auto again = raw_get(url("id=3&count=200&page=2&access_token=t"), "Accept-Encoding: gzip, br");
  EXPECT_EQ(first.body, again.body);
  EXPECT_EQ(again.content_encoding, "") << "sent uncompressed";
  MockPageQuery q;
  q.post_id = 3;
  q.total = 2500;
  q.reachable = 2000;
  q.count = 200;
  q.page = 2;
  EXPECT_EQ(first.body, mock_page_body(q));
}

TEST_F(MockServer, StartTwiceAndBusyPort) {
  start(quiet_mock());
  EXPECT_THROW(server_->start(), std::logic_error);
  auto options = quiet_mock();
  options.port = server_->port();
  MockWeiboServer second(options);
  try {
    second.start();
    ADD_FAILURE() << "bound a busy port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("mock-weibo: cannot listen on 127.0.0.1:" + std::to_string(options.port), 0),
              0u)
        << e.what();
  }
}

}  // namespace
}  // namespace rankpool::reposts
