#pragma once
/// Page arithmetic and the merging of pages into one post's reposts. Pure
/// functions, no I/O.

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "reposts/repost_page.hpp"

namespace rankpool::reposts {

/// Largest `count` the API accepts.
inline constexpr int kMaxCount = 200;

/// Pages to request for a post with `total` reposts at `count` per page:
/// `min(ceil(total / count), max_pages)`; 0 when `total` is 0.
/// Throws `std::invalid_argument` when `total < 0`, `count < 1` or
/// `max_pages < 0`.
///
/// ```
/// page_count(2500, 200, 10) == 10;  page_count(201, 200, 10) == 2
/// ```
[[nodiscard]] int page_count(std::int64_t total, int count, int max_pages);

/// The reposts of all `pages` of one post, each id once, newest first
/// (decreasing id, as the API orders them). Where pages repeat a repost
/// (new reposts arrived while paging), the first copy is kept.
[[nodiscard]] std::vector<Repost> merge_pages(const std::vector<RepostPage>& pages);

/// `reposts` with repeated ids dropped (first copy kept) and sorted newest
/// first (decreasing id).
[[nodiscard]] std::vector<Repost> dedupe_newest_first(std::vector<Repost> reposts);

/// A repost's id and its JSON, viewed where it is kept.
using RepostView = std::pair<std::int64_t, std::string_view>;

/// The same for views: sorted newest first whatever order they came in,
/// each id once (the first copy in the given order kept).
void dedupe_newest_first(std::vector<RepostView>& reposts);

}  // namespace rankpool::reposts
