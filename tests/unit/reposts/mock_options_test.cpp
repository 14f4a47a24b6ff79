#include <gtest/gtest.h>

#include <vector>

#include "rankpool/errors.hpp"
#include "reposts/mock_command.hpp"
#include "reposts/mock_server.hpp"
#include "support/expect_message.hpp"

namespace rankpool::reposts {
namespace {

// CLI11 parses a vector in reverse order (last argument first).
void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());
  app.parse(args);
}

TEST(MockWeiboCommand, Defaults) {
  CLI::App app("rankpool");
  MockWeiboOptions options;
  auto* sub = add_mock_weibo_options(app, options);
  ::unsetenv("WEIBO_ACCESS_TOKEN");
  parse(app, {"mock-weibo"});
  EXPECT_TRUE(sub->parsed());
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 8080);
  EXPECT_EQ(options.total, 2500);
  EXPECT_EQ(options.reachable, 2000);
  EXPECT_EQ(options.latency_ms, 800);
  EXPECT_EQ(options.stall_ms, 60000);
  EXPECT_EQ(options.token, "");
}

TEST(MockWeiboCommand, EveryOption) {
  CLI::App app("rankpool");
  MockWeiboOptions options;
  add_mock_weibo_options(app, options);
  parse(app, {"mock-weibo", "--host",          "0.0.0.0", "--port",       "0",    "--token",
              "T",          "--total",         "10",      "--reachable",  "5",    "--new-reposts-per-request",
              "2",          "--latency-ms",    "3",       "--jitter-ms",  "4",    "--fail-rate",
              "0.2",        "--truncate-rate", "0.05",    "--stall-rate", "0.01", "--stall-ms",
              "100",        "--reset-rate",    "0.02",    "--seed",       "9",    "--rate-limit",
              "6",          "--rate-window",   "0.5",     "--threads",    "8",    "--log"});
  EXPECT_EQ(options.host, "0.0.0.0");
  EXPECT_EQ(options.port, 0);
  EXPECT_EQ(options.token, "T");
  EXPECT_EQ(options.total, 10);
  EXPECT_EQ(options.reachable, 5);
  EXPECT_EQ(options.new_reposts_per_request, 2);
  EXPECT_EQ(options.latency_ms, 3);
  EXPECT_EQ(options.jitter_ms, 4);
  EXPECT_DOUBLE_EQ(options.fail_rate, 0.2);
  EXPECT_DOUBLE_EQ(options.truncate_rate, 0.05);
  EXPECT_DOUBLE_EQ(options.stall_rate, 0.01);
  EXPECT_EQ(options.stall_ms, 100);
  EXPECT_DOUBLE_EQ(options.reset_rate, 0.02);
  EXPECT_EQ(options.seed, 9u);
  EXPECT_EQ(options.rate_limit, 6);
  EXPECT_DOUBLE_EQ(options.rate_window_s, 0.5);
  EXPECT_EQ(options.threads, 8);
  EXPECT_TRUE(options.log_requests);
}

TEST(MockWeiboCommand, OddServerOptions) {
  CLI::App app("rankpool");
  MockWeiboOptions options;
  add_mock_weibo_options(app, options);
  parse(app, {"mock-weibo", "--missing-ids", "5,77", "--out-of-order", "--bad-text", "--odd-numbers", "--pad-bytes",
              "1000", "--retry-after", "9223372036854775807", "--echo-token", "lower"});
  EXPECT_EQ(options.missing_ids, (std::vector<std::int64_t>{5, 77}));
  EXPECT_TRUE(options.out_of_order);
  EXPECT_TRUE(options.bad_text);
  EXPECT_TRUE(options.odd_numbers);
  EXPECT_EQ(options.pad_bytes, 1000);
  EXPECT_EQ(options.retry_after, "9223372036854775807");
  EXPECT_EQ(options.echo_token, "lower");
}

TEST(MockWeiboCommand, TokenFromEnvironment) {
  ::setenv("WEIBO_ACCESS_TOKEN", "from-env", 1);
  CLI::App app("rankpool");
  MockWeiboOptions options;
  add_mock_weibo_options(app, options);
  parse(app, {"mock-weibo"});
  ::unsetenv("WEIBO_ACCESS_TOKEN");
  EXPECT_EQ(options.token, "from-env");
}

TEST(MockWeiboCommand, RejectsOutOfRange) {
  for (std::vector<std::string> bad : {std::vector<std::string>{"mock-weibo", "--port", "70000"},
                                       {"mock-weibo", "--fail-rate", "1.5"},
                                       {"mock-weibo", "--latency-ms", "-1"},
                                       {"mock-weibo", "--threads", "0"},
                                       {"mock-weibo", "--missing-ids", "5,-1"},
                                       {"mock-weibo", "--echo-token", "sideways"},
                                       {"mock-weibo", "--pad-bytes", "-1"}}) {
    CLI::App app("rankpool");
    MockWeiboOptions options;
    add_mock_weibo_options(app, options);
    EXPECT_THROW(parse(app, bad), CLI::ValidationError) << bad[1];
  }
}

TEST(MockWeiboServerOptions, InconsistentOptionsAreRefused) {
  MockWeiboOptions options;
  options.fail_rate = 0.6;
  options.reset_rate = 0.6;
  try {
    MockWeiboServer server(options);
    ADD_FAILURE() << "accepted";
  } catch (const rankpool::UsageError& e) {
    EXPECT_STREQ(e.what(), "mock-weibo: fault rates add up to more than 1");
  }
  options = MockWeiboOptions{};
  options.total = -1;
  EXPECT_THROW_MSG(MockWeiboServer{options}, rankpool::UsageError, "mock-weibo: --total must be in 0..1073741823");
  options = MockWeiboOptions{};
  options.echo_token = "sideways";
  EXPECT_THROW_MSG(MockWeiboServer{options}, rankpool::UsageError,
                   "mock-weibo: --echo-token must be raw, lower, upper or plus");
  options = MockWeiboOptions{};
  options.retry_after = "1\r\nX-Injected: 1";
  // No header injection.
  EXPECT_THROW_MSG(MockWeiboServer{options}, rankpool::UsageError, "mock-weibo: --retry-after has a control character");
}

}  // namespace
}  // namespace rankpool::reposts
