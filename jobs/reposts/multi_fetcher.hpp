#pragma once
/// Many repost pages from one thread with several requests in flight
/// (libcurl's multi interface).

#include <cstdint>
#include <memory>
#include <optional>
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

/// How one page of a list ended: its page, or the error that ended it.
struct PageOutcome {
  std::optional<RepostPage> page;
  std::optional<ApiError> error;
};

/// Fetches lists of pages with up to `max_in_flight` requests at once, the
/// same retry rules as `WeiboClient` (a retry waits its backoff without
/// holding up the other transfers). Connections are kept alive between
/// calls.
///
/// Memory: the answers in flight hold at most `max_answer_bytes` (64 MiB)
/// together; a transfer that would pass that waits, paused, until another
/// finishes (if all wait, the one holding least starts over later). One
/// answer larger than that fails for good.
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

  /// Every page of `requests`, in the same order, each with its own outcome:
  /// a page that fails for good does not stop the others. Throws
  /// `std::invalid_argument` for a bad request and whatever `before_request`
  /// throws (then the other transfers are abandoned).
  [[nodiscard]] std::vector<PageOutcome> fetch_each(const std::vector<PageRequest>& requests);

  /// Requests and retries so far.
  [[nodiscard]] ClientStats stats() const noexcept;

  [[nodiscard]] int max_in_flight() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rankpool::reposts
