#pragma once
// Private to the reposts client: what `WeiboClient` (easy interface) and
// `MultiFetcher` (multi interface) share: building the URL, configuring an
// easy handle, judging an answer, computing backoffs and error messages.

#include <curl/curl.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "reposts/client_options.hpp"
#include "reposts/errors.hpp"
#include "reposts/repost_page.hpp"

namespace rankpool::reposts::detail {

/// Calls `curl_global_init` once per process (thread-safe).
void ensure_curl_global();

/// `options` checked and with `api_base` normalized. Throws `InputError` for a
/// bad `api_base`, `std::invalid_argument` for the rest.
ClientOptions checked_options(ClientOptions options);

/// Throws `std::invalid_argument` unless mid > 0, 1 <= count <= 200, page >= 1.
void check_page_args(std::int64_t mid, int count, int page);

/// Full request URL, token included: never print it without `redact_url`.
/// `options` must come from `checked_options`.
std::string page_url(const ClientOptions& options, std::int64_t mid, int count, int page);

/// Default of `ClientOptions::max_answer_bytes`.
inline constexpr std::size_t kMaxAnswerBytes = std::size_t{64} << 20;

/// Longest `Retry-After` taken from a server; longer ones count as this.
inline constexpr std::chrono::seconds kMaxRetryAfter{24 * 3600};

/// Answer bytes held by the transfers of one client. A transfer whose next
/// bytes would pass `limit` waits, paused, while others hold bytes; alone, it
/// may grow to `limit` and fails past it.
struct BodyBudget {
  std::size_t limit = kMaxAnswerBytes;
  std::size_t used = 0;
  std::size_t peak = 0;
};

/// Buffers of one request in flight.
struct Transfer {
  std::string url;
  std::string body;
  std::array<char, CURL_ERROR_SIZE> error{};
  std::chrono::seconds retry_after{0};
  bool too_large = false;
  /// The budget made curl pause this transfer; unpause it when bytes free up.
  bool paused = false;
  /// Shared by the client's transfers; must be set before `configure`.
  BodyBudget* budget = nullptr;
  /// Bytes of `budget` this body holds (its capacity).
  std::size_t charged = 0;
  CURL* easy = nullptr;

  /// Clears everything for the next request (and `release`s).
  void reset();
  /// Gives the body's bytes back to the budget; a large body's memory too.
  void release();
};

/// Sets every option of `easy` for one GET of `transfer.url`.
void configure(CURL* easy, const ClientOptions& options, Transfer& transfer);

enum class Verdict { kOk, kTransient, kRateLimited, kPermanent };

/// How one attempt ended.
struct Outcome {
  Verdict verdict = Verdict::kPermanent;
  RepostPage page;
  /// Why it failed, token-free, e.g. "HTTP 503" or "timed out ...".
  std::string cause;
  int http_status = 0;
  int error_code = 0;
  std::chrono::seconds retry_after{0};
};

/// Classifies a finished transfer: curl result, HTTP status and body.
Outcome judge(CURLcode code, long http_status, Transfer& transfer, const ClientOptions& options);

/// Wait before retry number `retry` (0 = first retry): exponential from
/// `backoff_initial` (or `rate_limit_backoff`), equal jitter, capped.
std::chrono::milliseconds backoff(const ClientOptions& options, int retry, const Outcome& last, std::mt19937_64& rng);

/// A jitter generator seeded from `options.seed` (random when 0).
std::mt19937_64 make_rng(const ClientOptions& options);

/// The error for a permanent failure.
ApiError permanent_error(const Outcome& outcome, std::int64_t mid, int page);

/// The error once retries are used up.
ApiError exhausted_error(const Outcome& outcome, int attempts, std::int64_t mid, int page);

}  // namespace rankpool::reposts::detail
