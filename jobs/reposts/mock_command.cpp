#include "reposts/mock_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "reposts/inputs.hpp"
#include "reposts/mock_data.hpp"
#include "reposts/mock_server.hpp"

namespace rankpool::reposts {

namespace {

// Self-pipe: the handler only write()s, which is async-signal-safe, and works
// whichever thread the signal lands on.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  auto saved = errno;
  char byte = 1;
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

class StopSignals {
 public:
  StopSignals() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("mock-weibo: pipe: ") + std::strerror(errno));
    }
    struct sigaction action {};
    action.sa_handler = &on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }

  void wait() const {
    char byte = 0;
    while (::read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

/// A numeric option with its check, its default shown in --help.
template <class T>
void add_number(CLI::App& sub, const std::string& name, T& value, const std::string& help,
                const CLI::Validator& check) {
  sub.add_option(name, value, help)->check(check)->capture_default_str();
}

}  // namespace

CLI::App* add_mock_weibo_options(CLI::App& parent, MockWeiboOptions& o) {
  auto* sub =
      parent.add_subcommand("mock-weibo", "Serve a local mock of the Weibo repost_timeline API (deterministic data)");
  sub->add_option("--host", o.host, "Address to listen on")->capture_default_str();
  add_number(*sub, "--port", o.port, "Port to listen on; 0 picks a free one", CLI::Range(0, 65535));
  sub->add_option("--token", o.token, "The only access token accepted (default: any non-empty)")->envname(kTokenEnv);
  sub->add_option("--token-file", o.token_file, "Read --token from this file")->check(CLI::ExistingFile);
  add_number(*sub, "--total", o.total, "Reposts of every post (total_number)",
             CLI::Range(std::int64_t{0}, kMockMaxReposts));
  add_number(*sub, "--reachable", o.reachable, "Only the newest N reposts can be paged to", CLI::NonNegativeNumber);
  add_number(*sub, "--new-reposts-per-request", o.new_reposts_per_request,
             "Reposts that arrive on a post with each request for it", CLI::NonNegativeNumber);
  add_number(*sub, "--latency-ms", o.latency_ms, "Delay of every answer", CLI::NonNegativeNumber);
  add_number(*sub, "--jitter-ms", o.jitter_ms, "Extra random delay, 0..N ms", CLI::NonNegativeNumber);
  add_number(*sub, "--fail-rate", o.fail_rate, "Fraction of requests answered HTTP 500", CLI::Range(0.0, 1.0));
  add_number(*sub, "--truncate-rate", o.truncate_rate, "Fraction of answers cut short", CLI::Range(0.0, 1.0));
  add_number(*sub, "--stall-rate", o.stall_rate, "Fraction of requests not answered for --stall-ms",
             CLI::Range(0.0, 1.0));
  add_number(*sub, "--stall-ms", o.stall_ms, "How long a stalled request waits", CLI::NonNegativeNumber);
  add_number(*sub, "--reset-rate", o.reset_rate, "Fraction of connections closed without answer", CLI::Range(0.0, 1.0));
  sub->add_option("--seed", o.seed, "Seed of latency jitter and faults")->capture_default_str();
  add_number(*sub, "--rate-limit", o.rate_limit, "Requests per token allowed within --rate-window (0: no limit)",
             CLI::NonNegativeNumber);
  add_number(*sub, "--rate-window", o.rate_window_s, "Rate-limit window in seconds", CLI::PositiveNumber);
  sub->add_option("--missing-ids", o.missing_ids, "Posts answered as deleted: HTTP 400, error 20101 (ID,ID,...)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  sub->add_flag("--out-of-order", o.out_of_order, "Pages in reverse order, each page's reposts oldest first");
  sub->add_flag("--bad-text", o.bad_text,
                "The first repost of each page holds bytes that are not UTF-8 and an escaped lone surrogate");
  sub->add_flag("--odd-numbers", o.odd_numbers, "Every repost holds 1E2, a 30-digit number and -0.50e-3");
  add_number(*sub, "--pad-bytes", o.pad_bytes, "Every page carries a string field of N bytes (big answers)",
             CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  sub->add_option("--retry-after", o.retry_after,
                  "Retry-After header (sent verbatim) on injected HTTP 500s and rate-limit errors");
  sub->add_option("--echo-token", o.echo_token,
                  "Refuse every request with an error message that echoes the token: raw, lower, upper or plus "
                  "(%xx, %XX, %xx with + for space)")
      ->check(CLI::IsMember({"raw", "lower", "upper", "plus"}));
  sub->add_option("--tls-cert", o.tls_cert, "Serve HTTPS with this PEM certificate")->check(CLI::ExistingFile);
  sub->add_option("--tls-key", o.tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  add_number(*sub, "--threads", o.threads, "Worker threads (concurrent connections)", CLI::Range(1, 4096));
  sub->add_flag("--log", o.log_requests, "Log every request on stderr (token redacted)");
  return sub;
}

int run_mock_weibo(const MockWeiboOptions& options) {
  auto effective = options;
  if (!effective.token_file.empty()) {
    effective.token = read_access_token(std::filesystem::path(effective.token_file));
  }
  MockWeiboServer server(effective);
  StopSignals signals;
  server.start();
  std::cout << server.base_url() << std::endl;
  std::cerr << "mock-weibo: serving " << server.base_url()
            << "/2/statuses/repost_timeline.json until SIGINT or SIGTERM\n";
  signals.wait();
  server.stop();
  auto s = server.stats();
  std::cerr << "mock-weibo: stopped after " << s.requests << " requests (" << s.pages << " pages, "
            << s.auth_errors + s.bad_requests + s.rate_limited + s.missing << " refused, " << s.faults()
            << " faults injected), at most " << s.most_at_once << " at once\n";
  if (options.rate_limit > 0)
    std::cerr << "mock-weibo: at most " << s.busiest_window << " requests in any " << options.rate_window_s
              << " s window\n";
  return 0;
}

}  // namespace rankpool::reposts
