#pragma once
/// The mock Weibo API server on cpp-httplib, usable in-process (tests) and
/// by the `mock-weibo` command.

#include <cstdint>
#include <memory>
#include <string>

#include "reposts/mock_options.hpp"

namespace rankpool::reposts {

/// Counters of a running mock, for tests and the exit summary.
struct MockStats {
  std::uint64_t requests = 0;      ///< requests received, every path
  std::uint64_t pages = 0;         ///< repost pages answered (HTTP 200)
  std::uint64_t auth_errors = 0;   ///< 21332
  std::uint64_t bad_requests = 0;  ///< 10016, 10017, 10020, 10008 (echo_token)
  std::uint64_t missing = 0;       ///< 20101 (missing_ids)
  std::uint64_t rate_limited = 0;  ///< 10023
  std::uint64_t failed = 0;        ///< injected HTTP 500
  std::uint64_t truncated = 0;     ///< injected cut bodies
  std::uint64_t stalled = 0;       ///< injected stalls
  std::uint64_t reset = 0;         ///< injected connection resets
  /// With a rate limit: the most requests of one token counted in one
  /// window (what a client's pacing looked like to the server).
  std::uint64_t busiest_window = 0;
  /// The most requests in service at once (a client's concurrency).
  std::uint64_t most_at_once = 0;

  /// Every injected fault.
  [[nodiscard]] std::uint64_t faults() const noexcept { return failed + truncated + stalled + reset; }
};

/// Serves `GET /2/statuses/repost_timeline.json` with the data of
/// `mock_data.hpp`, Weibo's error bodies, latency and injected faults.
///
/// Each page is rendered once and kept (up to 256 MiB of pages, then the
/// oldest go) and sent uncompressed from that copy: thousands of pages a
/// second on one core at 0 ms latency.
///
/// `start()` returns once the port is listening; requests are served on
/// background threads (`options.threads`), each delayed on its own, so 100
/// concurrent requests with 800 ms latency take about 800 ms.
///
/// ```
/// MockWeiboOptions options;
/// options.port = 0;
/// options.latency_ms = 0;
/// MockWeiboServer server(options);
/// server.start();
/// client_options.api_base = server.base_url();  // "http://127.0.0.1:34567"
/// ...
/// server.stop();  // or let the destructor do it
/// ```
///
/// `start()` sets SIGPIPE to be ignored for the whole process: the server
/// writes to sockets whose clients went away (stalls, timeouts).
class MockWeiboServer {
 public:
  /// Throws `UsageError` for inconsistent options.
  explicit MockWeiboServer(MockWeiboOptions options);
  /// Stops the server; never throws.
  ~MockWeiboServer();
  MockWeiboServer(const MockWeiboServer&) = delete;
  MockWeiboServer& operator=(const MockWeiboServer&) = delete;

  /// Binds and starts serving on background threads. Throws
  /// `std::runtime_error` ("mock-weibo: cannot listen on host:port") or
  /// `std::logic_error` when already started.
  void start();

  /// Stops accepting, wakes delayed and stalled requests and joins the
  /// threads (within about a second). Idempotent.
  void stop() noexcept;

  /// The bound port (the chosen one after `port = 0`); -1 before `start()`.
  [[nodiscard]] int port() const noexcept;

  /// `http://host:port` (`https://` with `tls_cert`), the value for `--api-base`.
  [[nodiscard]] std::string base_url() const;

  /// A snapshot of the counters.
  [[nodiscard]] MockStats stats() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rankpool::reposts
