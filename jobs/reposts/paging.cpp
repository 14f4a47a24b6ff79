#include "reposts/paging.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace rankpool::reposts {

int page_count(std::int64_t total, int count, int max_pages) {
  if (total < 0) {
    throw std::invalid_argument("page_count: total must be >= 0, got " + std::to_string(total));
  }
  if (count < 1) {
    throw std::invalid_argument("page_count: count must be >= 1, got " + std::to_string(count));
  }
  if (max_pages < 0) {
    throw std::invalid_argument("page_count: max_pages must be >= 0, got " + std::to_string(max_pages));
  }
  // ceil without the overflow of total + count - 1.
  auto pages = total / count + (total % count != 0 ? 1 : 0);
  return static_cast<int>(std::min<std::int64_t>(pages, max_pages));
}

std::vector<Repost> dedupe_newest_first(std::vector<Repost> reposts) {
  std::stable_sort(reposts.begin(), reposts.end(), [](const Repost& a, const Repost& b) { return a.id > b.id; });
  auto last =
      std::unique(reposts.begin(), reposts.end(), [](const Repost& a, const Repost& b) { return a.id == b.id; });
  reposts.erase(last, reposts.end());
  return reposts;
}

void dedupe_newest_first(std::vector<RepostView>& reposts) {
  std::stable_sort(reposts.begin(), reposts.end(),
                   [](const RepostView& a, const RepostView& b) { return a.first > b.first; });
  auto last = std::unique(reposts.begin(), reposts.end(),
                          [](const RepostView& a, const RepostView& b) { return a.first == b.first; });
  reposts.erase(last, reposts.end());
}

std::vector<Repost> merge_pages(const std::vector<RepostPage>& pages) {
  std::vector<Repost> all;
  for (const auto& page : pages) {
    all.insert(all.end(), page.reposts.begin(), page.reposts.end());
  }
  return dedupe_newest_first(std::move(all));
}

}  // namespace rankpool::reposts
