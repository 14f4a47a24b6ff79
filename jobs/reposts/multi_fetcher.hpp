#pragma once
/// Many repost pages from one thread with several requests in flight
/// (libcurl's multi interface).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
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

/// Pages that come while others are in flight (MultiFetcher::fetch_stream).
struct PageSource {
  /// The next page and the caller's id for it; nothing if none is here now.
  std::function<std::optional<std::pair<std::uint64_t, PageRequest>>()> next;
  /// Takes a page's outcome, by id, as it ends.
  std::function<void(std::uint64_t id, PageOutcome outcome)> done;
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

  /// Pages as they come: takes pages from `source.next` while a transfer
  /// is free (asking again every few milliseconds while any runs), hands
  /// each outcome to `source.done` as it ends, and returns once `next`
  /// gives none and no page is left. Throws `std::invalid_argument` for a
  /// bad request and whatever the callbacks or `before_request` throw (then
  /// the other transfers are abandoned).
  void fetch_stream(const PageSource& source);

  /// Requests and retries so far.
  [[nodiscard]] ClientStats stats() const noexcept;

  [[nodiscard]] int max_in_flight() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rankpool::reposts
