#include "reposts/weibo_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "reposts/detail/transfer.hpp"
#include "reposts/errors.hpp"
#include "reposts/fetch_reposts.hpp"
#include "reposts/mock_data.hpp"
#include "reposts/mock_server.hpp"
#include "reposts/redact.hpp"
#include "support/expect_message.hpp"
#include "test_support.hpp"

namespace rankpool::reposts {
namespace {

using testing::fast_client;
using testing::quiet_mock;
using testing::seconds_since;

// A token with characters that URL encoding changes, to catch both forms.
const std::string kSecret = "2.00S3cr3t/T0k+en=";

template <class F>
ApiError expect_api_error(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(url_encode(kSecret)), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("S3cr3t"), std::string::npos) << e.what();
    return e;
  }
  ADD_FAILURE() << "no ApiError";
  return ApiError("none", false);
}

TEST(WeiboClient, EveryRepostOfAFullPaging) {
  auto options = quiet_mock();  // 2500 reposts, 2000 reachable
  MockWeiboServer server(options);
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  constexpr std::int64_t kMid = 4357489052193729;
  std::int64_t checked = 0;
  for (int page = 1; page <= 13; ++page) {
    auto result = client.fetch_page(kMid, 200, page);
    EXPECT_EQ(result.total_number, 2500);
    if (page > 10) {
      EXPECT_TRUE(result.reposts.empty()) << "page " << page << " is past the reachable 2000";
      continue;
    }
    ASSERT_EQ(result.reposts.size(), 200u);
    for (std::size_t i = 0; i < result.reposts.size(); ++i) {
      auto k = (page - 1) * 200 + static_cast<std::int64_t>(i);
      ASSERT_EQ(result.reposts[i].id, expected_repost_id(kMid, 2500, k)) << "page " << page;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2000);
  EXPECT_EQ(client.stats().requests, 13u);
  EXPECT_EQ(client.stats().retries, 0u);
  // One kept-alive connection; the mock drops connections idle for 1 s, which
  // a slow (sanitized, loaded) run can hit once or twice.
  EXPECT_LE(client.stats().connects, 3u);
}

TEST(WeiboClient, RepostJsonIsWhatTheApiSent) {
  MockWeiboServer server(quiet_mock());
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto page = client.fetch_page(77, 3, 1);
  ASSERT_EQ(page.reposts.size(), 3u);
  EXPECT_EQ(page.reposts[0].json, mock_repost(77, 2499).dump());
}

TEST(WeiboClient, BadTokenFailsAtOnce) {
  auto options = quiet_mock();
  options.token = "the-right-one";
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url(), kSecret);
  client_options.max_retries = 5;
  client_options.backoff_initial = std::chrono::milliseconds(1000);
  WeiboClient client(client_options);
  auto e = expect_api_error([&] { (void)client.fetch_page(123, 200, 1); });
  EXPECT_EQ(server.stats().requests, 1u) << "a permanent error must not be retried";
  EXPECT_TRUE(e.permanent());
  EXPECT_EQ(e.error_code(), 21332);
  EXPECT_EQ(e.http_status(), 403);
  EXPECT_STREQ(e.what(), "weibo api: invalid access token (error_code 21332, HTTP 403) on id 123 page 1");
  EXPECT_EQ(client.stats().requests, 1u);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST(WeiboClient, DeletedPostIsPermanent) {
  auto options = quiet_mock();
  options.missing_ids = {404};
  MockWeiboServer server(options);
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto e = expect_api_error([&] { (void)client.fetch_page(404, 200, 1); });
  EXPECT_TRUE(e.permanent());
  EXPECT_EQ(e.error_code(), 20101);
  EXPECT_STREQ(e.what(), "weibo api: post does not exist (error_code 20101, HTTP 400) on id 404 page 1");
  EXPECT_EQ(client.fetch_page(405, 200, 1).reposts.size(), 200u) << "other posts are there";
}

// A server that quotes the token back, in any encoding, never gets it printed.
TEST(WeiboClient, EchoedTokenIsRedactedInEveryEncoding) {
  for (const char* mode : {"raw", "lower", "upper", "plus"}) {
    auto options = quiet_mock();
    options.echo_token = mode;
    MockWeiboServer server(options);
    server.start();
    WeiboClient client(fast_client(server.base_url(), "tok/EN+s3cr3t== x"));
    try {
      (void)client.fetch_page(1, 200, 1);
      ADD_FAILURE() << "no error";
    } catch (const ApiError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what,
                "weibo api: param error: access_token *** is not accepted (error_code 10008, HTTP 400) on id 1 page 1")
          << mode;
      EXPECT_EQ(what.find("s3cr3t"), std::string::npos) << mode;
    }
  }
}

// Retry-After is a number the server picks: the longest one must neither
// overflow (UBSan in the sanitize build) nor make the client wait for ever.
TEST(WeiboClient, HugeRetryAfterIsCapped) {
  for (const char* value : {"9223372036854775807", "99999999999999999999999", "86401", "-5", "soon"}) {
    auto options = quiet_mock();
    options.fail_rate = 1.0;
    options.retry_after = value;
    MockWeiboServer server(options);
    server.start();
    auto client_options = fast_client(server.base_url());
    client_options.max_retries = 2;
    client_options.backoff_max = std::chrono::milliseconds(100);
    WeiboClient client(client_options);
    auto e = expect_api_error([&] { (void)client.fetch_page(1, 200, 1); });
    EXPECT_FALSE(e.permanent()) << value;
    EXPECT_EQ(client.stats().requests, 3u) << value;
  }
}

TEST(Backoff, NeverOverflowsAndStaysUnderTheCap) {
  ClientOptions options;
  options.backoff_max = std::chrono::milliseconds(60'000);
  std::mt19937_64 rng(1);
  detail::Outcome last;
  last.verdict = detail::Verdict::kRateLimited;
  for (auto asked : {std::chrono::seconds(0), detail::kMaxRetryAfter, std::chrono::seconds(INT64_MAX)}) {
    last.retry_after = asked;
    for (int retry : {0, 1, 30, 1000, INT32_MAX}) {
      const auto wait = detail::backoff(options, retry, last, rng);
      EXPECT_GE(wait.count(), 0);
      EXPECT_LE(wait, options.backoff_max);
    }
  }
  last.retry_after = std::chrono::seconds(INT64_MAX);
  EXPECT_EQ(detail::backoff(options, 0, last, rng), options.backoff_max) << "asked for more: the cap";
  options.backoff_max = std::chrono::milliseconds(INT64_MAX);
  options.backoff_initial = std::chrono::milliseconds(INT64_MAX);
  EXPECT_GE(detail::backoff(options, 50, last, rng).count(), 0);
}

TEST(WeiboClient, AnswerLargerThanTheCapFails) {
  auto options = quiet_mock();
  options.pad_bytes = 300'000;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.max_answer_bytes = 200'000;
  WeiboClient client(client_options);
  auto e = expect_api_error([&] { (void)client.fetch_page(1, 5, 1); });
  EXPECT_TRUE(e.permanent());
  EXPECT_NE(std::string(e.what()).find("answer larger than 200000 bytes"), std::string::npos) << e.what();
  client_options.max_answer_bytes = 400'000;
  WeiboClient roomy(client_options);
  EXPECT_EQ(roomy.fetch_page(1, 5, 1).reposts.size(), 5u);
  EXPECT_LE(roomy.stats().peak_answer_bytes, 400'000u + kParsePadding);
}

TEST(WeiboClient, BadIdIsPermanent) {
  MockWeiboServer server(quiet_mock());
  server.start();
  WeiboClient client(fast_client(server.base_url()));
  auto e = expect_api_error([&] { (void)client.fetch_page(kMockMaxPostId + 1, 200, 1); });
  EXPECT_TRUE(e.permanent());
  EXPECT_EQ(e.error_code(), 10017);
  EXPECT_EQ(std::string(e.what()), "weibo api: invalid parameter (error_code 10017, HTTP 400) on id " +
                                       std::to_string(kMockMaxPostId + 1) + " page 1");
  EXPECT_THROW((void)client.fetch_page(0, 200, 1), std::invalid_argument);
  EXPECT_THROW((void)client.fetch_page(1, 201, 1), std::invalid_argument);
  EXPECT_THROW((void)client.fetch_page(1, 200, 0), std::invalid_argument);
}

TEST(WeiboClient, RateLimitIsRetriedWithLongerWaits) {
  auto options = quiet_mock();
  options.rate_limit = 3;
  options.rate_window_s = 0.2;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.rate_limit_backoff = std::chrono::milliseconds(60);
  client_options.backoff_max = std::chrono::milliseconds(400);
  client_options.max_retries = 8;
  WeiboClient client(client_options);
  for (int page = 1; page <= 8; ++page) {
    auto result = client.fetch_page(5, 10, page);
    EXPECT_EQ(result.reposts.front().id, expected_repost_id(5, 2500, (page - 1) * 10));
  }
  EXPECT_GT(server.stats().rate_limited, 0u);
  EXPECT_EQ(client.stats().retries, server.stats().rate_limited);
  EXPECT_EQ(client.stats().requests, 8 + client.stats().retries);
}

TEST(WeiboClient, RateLimitGivesUpNamingTheCause) {
  auto options = quiet_mock();
  options.rate_limit = 1;
  options.rate_window_s = 60;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url(), kSecret);
  client_options.max_retries = 2;
  WeiboClient client(client_options);
  (void)client.fetch_page(5, 10, 1);
  auto e = expect_api_error([&] { (void)client.fetch_page(5, 10, 2); });
  EXPECT_FALSE(e.permanent());
  EXPECT_EQ(e.error_code(), 10023);
  EXPECT_STREQ(e.what(),
               "weibo api: gave up on id 5 page 2 after 3 attempts: user requests out of rate "
               "limit (error_code 10023, HTTP 403)");
}

std::vector<Repost> fetch_all(const std::string& base_url, std::uint64_t* retries = nullptr) {
  auto options = fast_client(base_url);
  options.max_retries = 12;
  WeiboClient client(options);
  auto post = fetch_post_reposts(client, 4357489052193729, 100, 10);
  if (retries != nullptr) {
    *retries = client.stats().retries;
  }
  return post.reposts;
}

TEST(WeiboClient, FaultsAreRetriedToTheSameResult) {
  std::vector<Repost> clean;
  {
    MockWeiboServer server(quiet_mock());
    server.start();
    clean = fetch_all(server.base_url());
  }
  ASSERT_EQ(clean.size(), 1000u);

  auto options = quiet_mock();
  options.fail_rate = 0.20;
  options.truncate_rate = 0.05;
  options.seed = 2024;
  MockWeiboServer server(options);
  server.start();
  std::uint64_t retries = 0;
  auto faulty = fetch_all(server.base_url(), &retries);
  EXPECT_TRUE(faulty == clean) << "same reposts, same json, same order";
  auto stats = server.stats();
  EXPECT_GT(stats.failed, 0u);
  EXPECT_EQ(retries, stats.faults());
  EXPECT_EQ(stats.requests, 10 + stats.faults());
}

TEST(WeiboClient, ResetsAreRetried) {
  auto options = quiet_mock();
  options.reset_rate = 0.5;
  options.seed = 11;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.max_retries = 12;
  WeiboClient client(client_options);
  for (int page = 1; page <= 10; ++page) {
    EXPECT_EQ(client.fetch_page(9, 20, page).reposts.size(), 20u);
  }
  EXPECT_GT(client.stats().retries, 0u);
  // libcurl itself resends once when a reused connection dies before any
  // byte came back, so the server may see more resets than the client.
  EXPECT_LE(client.stats().retries, server.stats().reset);
}

TEST(WeiboClient, StallTimesOutWithinTheLimit) {
  auto options = quiet_mock();
  options.stall_rate = 1.0;
  options.stall_ms = 60'000;
  MockWeiboServer server(options);
  server.start();
  auto client_options = fast_client(server.base_url(), kSecret);
  client_options.timeout = std::chrono::milliseconds(300);
  client_options.max_retries = 1;
  WeiboClient client(client_options);
  auto begin = std::chrono::steady_clock::now();
  auto e = expect_api_error([&] { (void)client.fetch_page(3, 20, 1); });
  auto elapsed = seconds_since(begin);
  EXPECT_GE(elapsed, 0.55);  // two attempts of 300 ms each timed out
  EXPECT_FALSE(e.permanent());
  EXPECT_EQ(std::string(e.what()).rfind("weibo api: gave up on id 3 page 1 after 2 attempts: "
                                        "Operation timed out after ",
                                        0),
            0u)
      << e.what();
  EXPECT_EQ(server.stats().stalled, 2u);
}

TEST(WeiboClient, UnreachableServer) {
  auto client_options = fast_client("http://127.0.0.1:" + std::to_string(testing::unused_port()), kSecret);
  client_options.max_retries = 2;
  WeiboClient client(client_options);
  auto e = expect_api_error([&] { (void)client.fetch_page(1, 200, 1); });
  EXPECT_EQ(client.stats().requests, 3u) << "the first attempt and 2 retries";
  EXPECT_FALSE(e.permanent());
  const std::string what = e.what();
  EXPECT_EQ(what.rfind("weibo api: gave up on id 1 page 1 after 3 attempts: Failed to connect to "
                       "127.0.0.1 port ",
                       0),
            0u)
      << what;
  EXPECT_EQ(client.stats().requests, 3u);
  EXPECT_EQ(client.stats().retries, 2u);
}

TEST(WeiboClient, BeforeRequestRunsForEveryAttempt) {
  auto options = quiet_mock();
  options.fail_rate = 0.5;
  options.seed = 3;
  MockWeiboServer server(options);
  server.start();
  std::atomic<int> calls{0};
  auto client_options = fast_client(server.base_url());
  client_options.max_retries = 20;
  client_options.before_request = [&] { ++calls; };
  WeiboClient client(client_options);
  for (int page = 1; page <= 4; ++page) {
    (void)client.fetch_page(8, 5, page);
  }
  EXPECT_EQ(static_cast<std::uint64_t>(calls.load()), client.stats().requests);
  EXPECT_EQ(client.stats().requests, server.stats().requests);
}

TEST(WeiboClient, BeforeRequestExceptionPassesThrough) {
  MockWeiboServer server(quiet_mock());
  server.start();
  auto client_options = fast_client(server.base_url());
  client_options.before_request = [] { throw std::runtime_error("cancelled"); };
  WeiboClient client(client_options);
  EXPECT_THROW((void)client.fetch_page(1, 1, 1), std::runtime_error);
  EXPECT_EQ(server.stats().requests, 0u);
}

TEST(WeiboClient, RejectsBadOptions) {
  auto options = fast_client("ftp://x");
  EXPECT_THROW_MSG(WeiboClient{options}, InputError, "--api-base 'ftp://x': expected an http:// or https:// url");
  options = fast_client("http://127.0.0.1:1", "");
  EXPECT_THROW(WeiboClient{options}, std::invalid_argument);
  options = fast_client("http://127.0.0.1:1");
  options.max_retries = -1;
  EXPECT_THROW(WeiboClient{options}, std::invalid_argument);
}

class Https : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rankpool-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
        " -keyout '" +
        (dir_ / "key.pem").string() + "' -out '" + (dir_ / "cert.pem").string() + "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) {
      GTEST_SKIP() << "openssl cannot make a test certificate";
    }
    auto options = quiet_mock();
    options.tls_cert = (dir_ / "cert.pem").string();
    options.tls_key = (dir_ / "key.pem").string();
    server_ = std::make_unique<MockWeiboServer>(options);
    server_->start();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<MockWeiboServer> server_;
};

TEST_F(Https, UnknownCertificateIsRefused) {
  ASSERT_EQ(server_->base_url().rfind("https://127.0.0.1:", 0), 0u);
  auto options = fast_client(server_->base_url(), kSecret);
  options.max_retries = 3;
  WeiboClient client(options);
  auto e = expect_api_error([&] { (void)client.fetch_page(1, 1, 1); });
  EXPECT_TRUE(e.permanent()) << "retrying cannot fix a certificate";
  EXPECT_NE(std::string(e.what()).find("SSL certificate problem"), std::string::npos) << e.what();
  EXPECT_EQ(client.stats().requests, 1u);
  EXPECT_EQ(server_->stats().pages, 0u);
}

TEST_F(Https, TrustedCertificateWorks) {
  auto options = fast_client(server_->base_url());
  options.ca_file = (dir_ / "cert.pem").string();
  WeiboClient client(options);
  auto page = client.fetch_page(1, 2, 1);
  ASSERT_EQ(page.reposts.size(), 2u);
  EXPECT_EQ(page.reposts[1].id, expected_repost_id(1, 2500, 1));
}

TEST(WeiboClient, ThreadsWithOwnClients) {
  auto options = quiet_mock();
  options.latency_ms = 100;
  options.threads = 32;
  MockWeiboServer server(options);
  server.start();
  std::vector<std::future<std::int64_t>> firsts;
  for (int t = 0; t < 16; ++t) {
    firsts.push_back(std::async(std::launch::async, [&server, t] {
      WeiboClient client(fast_client(server.base_url()));
      std::int64_t id = 0;
      for (int page = 1; page <= 3; ++page) {
        id = client.fetch_page(100 + t, 10, page).reposts.front().id;
      }
      return id;
    }));
  }
  for (int t = 0; t < 16; ++t) {
    EXPECT_EQ(firsts[t].get(), expected_repost_id(100 + t, 2500, 20));
  }
  EXPECT_GE(server.stats().most_at_once, 2u) << "the threads' requests went one at a time";
}

}  // namespace
}  // namespace rankpool::reposts
