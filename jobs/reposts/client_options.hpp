#pragma once
/// Settings and counters shared by `WeiboClient` and `MultiFetcher`.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace rankpool::reposts {

/// How the client reaches the API and how hard it retries.
struct ClientOptions {
  /// Scheme, host and optional path prefix; `/2/statuses/...` is appended.
  std::string api_base = "https://api.weibo.com";
  /// Sent as the `access_token` parameter; never printed.
  std::string access_token;
  /// Limit for the TCP (and TLS) connect of one request.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Limit for one whole request, connect included.
  std::chrono::milliseconds timeout{30'000};
  /// Retries after the first attempt for transient failures (5xx, timeout,
  /// reset, truncated or malformed JSON, rate limit).
  int max_retries = 5;
  /// First backoff; doubled on each retry, jittered, capped by `backoff_max`.
  std::chrono::milliseconds backoff_initial{500};
  /// First backoff after a rate-limit answer (error_code 10022/10023/10024 or
  /// HTTP 429); doubled the same way.
  std::chrono::milliseconds rate_limit_backoff{5'000};
  /// Cap of every backoff, `Retry-After` included.
  std::chrono::milliseconds backoff_max{60'000};
  /// Most answer bytes the client holds at once, all its transfers together:
  /// a transfer that would pass it waits for others; one answer larger than
  /// this fails for good.
  std::size_t max_answer_bytes = std::size_t{64} << 20;
  /// CA bundle for HTTPS; empty means the system's. Peers are always verified.
  std::string ca_file;
  /// Seed of the backoff jitter; 0 draws one at random.
  std::uint64_t seed = 0;
  /// Called before every HTTP request, retries included (a global rate limit
  /// plugs in here). May block; an exception it throws ends the fetch.
  std::function<void()> before_request;
};

/// What a client did, for the run's summary.
struct ClientStats {
  /// HTTP requests started, retries included.
  std::uint64_t requests = 0;
  /// Requests that were repeats after a transient failure.
  std::uint64_t retries = 0;
  /// New connections opened (the rest reused a kept-alive one).
  std::uint64_t connects = 0;
  /// Most answer bytes held at once (buffer capacity, all transfers).
  std::uint64_t peak_answer_bytes = 0;

  ClientStats& operator+=(const ClientStats& other) {
    requests += other.requests;
    retries += other.retries;
    connects += other.connects;
    peak_answer_bytes = std::max(peak_answer_bytes, other.peak_answer_bytes);
    return *this;
  }
  friend bool operator==(const ClientStats&, const ClientStats&) = default;
};

}  // namespace rankpool::reposts
