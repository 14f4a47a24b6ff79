#pragma once
/// Many repost pages from one thread with several requests in flight
/// (libcurl's multi interface).

#include <cstdint>
#include <memory>
#include <vector>

#include "reposts/client_options.hpp"
#include "reposts/errors.hpp"
#include "reposts/repost_page.hpp"

namespace rankpool::reposts {

/// One page to fetch.
struct PageRequest {
  std::int64_t mid = 0;
  int count = 200;
  int page = 1;
};

/// Fetches lists of pages with up to `max_in_flight` requests at once, the
/// same retry rules as `WeiboClient` (a retry waits its backoff without
/// holding up the other transfers). Connections are kept alive between
/// calls.
///
/// Not thread-safe: use one per thread. Blocking. `before_request` runs on
/// the calling thread; while it blocks, no transfer makes progress.
///
/// ```
/// MultiFetcher fetcher(options, 8);
/// std::vector<RepostPage> pages = fetcher.fetch_pages({{mid, 200, 1}, {mid, 200, 2}});
/// ```
class MultiFetcher {
 public:
  /// Throws `InputError` for a bad `api_base`, `std::invalid_argument` for
  /// other bad options or `max_in_flight < 1`.
  MultiFetcher(ClientOptions options, int max_in_flight);
  ~MultiFetcher();
  MultiFetcher(MultiFetcher&&) noexcept;
  MultiFetcher& operator=(MultiFetcher&&) noexcept;
  MultiFetcher(const MultiFetcher&) = delete;
  MultiFetcher& operator=(const MultiFetcher&) = delete;

  /// The pages of `requests`, in the same order.
  ///
  /// Throws `ApiError` for the first page that fails permanently or runs out
  /// of retries (the other transfers are abandoned), `std::invalid_argument`
  /// for a bad request. Whatever `before_request` throws passes through.
  [[nodiscard]] std::vector<RepostPage> fetch_pages(const std::vector<PageRequest>& requests);

  /// Requests and retries so far.
  [[nodiscard]] ClientStats stats() const noexcept;

  [[nodiscard]] int max_in_flight() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rankpool::reposts
