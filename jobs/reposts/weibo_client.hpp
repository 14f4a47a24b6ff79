#pragma once
/// The Weibo `statuses/repost_timeline` client on libcurl's easy interface.

#include <cstdint>
#include <memory>

#include "reposts/client_options.hpp"
#include "reposts/errors.hpp"
#include "reposts/repost_page.hpp"

namespace rankpool::reposts {

/// Fetches repost pages one at a time over one reused connection
/// (keep-alive), retrying transient failures with exponential backoff and
/// jitter.
///
/// Not thread-safe: use one client per thread. Blocking.
///
/// ```
/// ClientOptions options;
/// options.api_base = "http://127.0.0.1:8080";
/// options.access_token = read_access_token(std::nullopt);
/// WeiboClient client(options);
/// RepostPage first = client.fetch_page(mid, 200, 1);
/// int pages = page_count(first.total_number, 200, 10);
/// ```
class WeiboClient {
 public:
  /// Throws `InputError` for a bad `api_base`, `std::invalid_argument` for
  /// other bad options.
  explicit WeiboClient(ClientOptions options);
  ~WeiboClient();
  WeiboClient(WeiboClient&&) noexcept;
  WeiboClient& operator=(WeiboClient&&) noexcept;
  WeiboClient(const WeiboClient&) = delete;
  WeiboClient& operator=(const WeiboClient&) = delete;

  /// Page `page` (1-based) of post `mid`'s reposts, `count` (1..200) per page.
  ///
  /// Throws `ApiError` with `permanent() == true` at once for a bad token, a
  /// bad id or any other 4xx; with `permanent() == false` once
  /// `max_retries` retries of a transient failure are used up, naming the
  /// last cause. Throws `std::invalid_argument` for bad arguments. Whatever
  /// `before_request` throws passes through.
  [[nodiscard]] RepostPage fetch_page(std::int64_t mid, int count, int page);

  /// Requests and retries so far.
  [[nodiscard]] ClientStats stats() const noexcept;

  /// The options in use (`api_base` normalized).
  [[nodiscard]] const ClientOptions& options() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rankpool::reposts
