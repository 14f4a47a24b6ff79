#pragma once
/// Settings of the mock Weibo API (`rankpool mock-weibo`).

#include <cstdint>
#include <string>
#include <vector>

namespace rankpool::reposts {

/// What the mock serves and how badly it behaves. The defaults are the
/// command's; tests set `latency_ms = 0` and `port = 0`.
struct MockWeiboOptions {
  std::string host = "127.0.0.1";
  /// 0 picks a free port.
  int port = 8080;
  /// The only token accepted; empty accepts any non-empty token.
  std::string token;
  /// Command only: read `token` from this file.
  std::string token_file;

  /// Reposts of every post (`total_number`).
  std::int64_t total = 2500;
  /// Only the newest `reachable` are paged to; later pages come back empty.
  std::int64_t reachable = 2000;
  /// Reposts that arrive on a post with each request for it, shifting the
  /// newest-first list while a client pages (duplicates across pages).
  std::int64_t new_reposts_per_request = 0;

  /// Delay of every answer, plus a uniform 0..`jitter_ms`.
  int latency_ms = 800;
  int jitter_ms = 0;

  /// Fault probabilities per request (their sum at most 1), drawn from `seed`.
  double fail_rate = 0.0;      ///< HTTP 500
  double truncate_rate = 0.0;  ///< body cut short (mid-transfer, or complete but bad JSON)
  double stall_rate = 0.0;     ///< no answer for `stall_ms`
  double reset_rate = 0.0;     ///< connection closed without an answer
  int stall_ms = 60'000;
  std::uint64_t seed = 1;

  /// More than `rate_limit` requests of one token within `rate_window_s`
  /// seconds get error 10023 (HTTP 403); 0 disables the limit.
  int rate_limit = 0;
  double rate_window_s = 60.0;

  /// Posts that answer HTTP 400 with Weibo error 20101, as deleted posts do.
  std::vector<std::int64_t> missing_ids;
  /// Odd data for testing clients (see `MockQuirks`).
  bool out_of_order = false;
  bool bad_text = false;
  bool odd_numbers = false;
  /// Every page carries a top-level string field `padding` of this many
  /// bytes (big answers for memory tests; 0: none).
  std::int64_t pad_bytes = 0;
  /// A `Retry-After` header value sent with injected HTTP 500s and rate-limit
  /// errors (empty: none). Sent verbatim, however absurd.
  std::string retry_after;
  /// Non-empty: every request gets HTTP 400, Weibo error 10008, whose
  /// message echoes the request's token URL-encoded: "raw" (as is), "lower"
  /// or "upper" (%xx / %XX hex), "plus" (lower, space as '+').
  std::string echo_token;

  /// Serve HTTPS with this certificate and key (PEM files); both or neither.
  std::string tls_cert;
  std::string tls_key;

  /// Worker threads: one per concurrent connection (keep-alive holds one).
  int threads = 128;
  /// One line per request on stderr (token redacted).
  bool log_requests = false;
};

}  // namespace rankpool::reposts
