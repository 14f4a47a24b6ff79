#include "reposts/fetch_reposts.hpp"

#include "reposts/paging.hpp"

namespace rankpool::reposts {

PostReposts fetch_post_reposts(WeiboClient& client, std::int64_t mid, int count, int max_pages) {
  PostReposts post;
  post.mid = mid;
  if (max_pages < 1) {
    return post;
  }
  std::vector<RepostPage> pages;
  pages.push_back(client.fetch_page(mid, count, 1));
  post.pages_fetched = 1;
  post.total_number = pages.front().total_number;
  auto last = page_count(post.total_number, count, max_pages);
  for (int page = 2; page <= last && !pages.back().reposts.empty(); ++page) {
    pages.push_back(client.fetch_page(mid, count, page));
    ++post.pages_fetched;
  }
  post.reposts = merge_pages(pages);
  return post;
}

std::vector<PostReposts> fetch_posts_reposts(MultiFetcher& fetcher, const std::vector<std::int64_t>& mids, int count,
                                             int max_pages) {
  std::vector<PostReposts> posts(mids.size());
  if (max_pages < 1) {
    for (std::size_t i = 0; i < mids.size(); ++i) {
      posts[i].mid = mids[i];
    }
    return posts;
  }
  std::vector<PageRequest> first;
  first.reserve(mids.size());
  for (auto mid : mids) {
    first.push_back(PageRequest{mid, count, 1});
  }
  auto first_pages = fetcher.fetch_pages(first);

  std::vector<PageRequest> rest;
  std::vector<std::size_t> owner;  // post index of each request in `rest`
  for (std::size_t i = 0; i < mids.size(); ++i) {
    auto last = first_pages[i].reposts.empty() ? 1 : page_count(first_pages[i].total_number, count, max_pages);
    for (int page = 2; page <= last; ++page) {
      rest.push_back(PageRequest{mids[i], count, page});
      owner.push_back(i);
    }
  }
  auto rest_pages = fetcher.fetch_pages(rest);

  std::vector<std::vector<RepostPage>> pages(mids.size());
  for (std::size_t i = 0; i < mids.size(); ++i) {
    posts[i].mid = mids[i];
    posts[i].total_number = first_pages[i].total_number;
    posts[i].pages_fetched = 1;
    pages[i].push_back(std::move(first_pages[i]));
  }
  std::vector<bool> ended(mids.size(), false);
  for (std::size_t j = 0; j < rest.size(); ++j) {
    auto i = owner[j];
    ++posts[i].pages_fetched;
    if (ended[i]) {
      continue;
    }
    ended[i] = rest_pages[j].reposts.empty();
    pages[i].push_back(std::move(rest_pages[j]));
  }
  for (std::size_t i = 0; i < mids.size(); ++i) {
    posts[i].reposts = merge_pages(pages[i]);
  }
  return posts;
}

}  // namespace rankpool::reposts
