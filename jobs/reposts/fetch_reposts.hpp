#pragma once
/// Every repost of one post: page 1, then as many pages as `total_number`
/// calls for.

#include <cstdint>
#include <vector>

#include "reposts/client_options.hpp"
#include "reposts/multi_fetcher.hpp"
#include "reposts/repost_page.hpp"
#include "reposts/weibo_client.hpp"

namespace rankpool::reposts {

/// The reposts of one post, as the job writes them out.
struct PostReposts {
  std::int64_t mid = 0;
  /// `total_number` of the first page.
  std::int64_t total_number = 0;
  /// Pages requested (an empty page ends the paging early).
  int pages_fetched = 0;
  /// Each id once, newest first.
  std::vector<Repost> reposts;
};

/// Pages through post `mid` with `client`: page 1, then up to
/// `page_count(total_number, count, max_pages)` pages, stopping at the
/// first empty page; reposts merged with `merge_pages`. Throws what
/// `WeiboClient::fetch_page` throws. Blocking.
///
/// ```
/// WeiboClient client(options);
/// PostReposts post = fetch_post_reposts(client, mid, 200, 10);
/// ```
[[nodiscard]] PostReposts fetch_post_reposts(WeiboClient& client, std::int64_t mid, int count, int max_pages);

/// The same for many posts with `fetcher`: the first pages of all `mids` in
/// one batch, then every further page in a second batch (so an empty page
/// cannot stop the paging early; what follows it is dropped). Results in the
/// order of `mids`. Throws what `MultiFetcher::fetch_pages` throws. Blocking.
[[nodiscard]] std::vector<PostReposts> fetch_posts_reposts(MultiFetcher& fetcher, const std::vector<std::int64_t>& mids,
                                                           int count, int max_pages);

}  // namespace rankpool::reposts
