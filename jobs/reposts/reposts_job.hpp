#pragma once
/// \file
/// The reposts job on the pool: task i fetches one (post, page) of the Weibo
/// repost timeline.

#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rankpool/job.hpp"

namespace rankpool::reposts {

/// Parameters travel to each worker once: where the API is, the token (never
/// printed), the client's limits, and the (post, page) of every task.
/// A task's result is text: a header line `{"total":N,"requests":R,"retries":T}`
/// and then one line per repost, `<id><TAB><repost JSON as the API sent it>`.
struct RepostsJob {
  static constexpr const char* name = "reposts";

  std::string api_base;
  std::string access_token;
  int count = 200;
  int connect_timeout_ms = 10'000;
  int timeout_ms = 30'000;
  int max_retries = 5;
  /// Longest wait before a retry, a server's Retry-After included.
  int max_backoff_ms = 60'000;
  std::string ca_file;
  /// Requests a second for the whole run, all workers together (0:
  /// unlimited): one rankpool::RateBudget per API, leased to busy workers.
  double max_rps = 0;
  /// Requests one worker keeps in flight over a chunk of pages (libcurl multi).
  int inflight = 1;
  std::vector<std::int64_t> mids;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pages;  ///< task -> (post position, page)

  std::string operator()(std::uint64_t index) const;
  /// A chunk of pages at once, up to `inflight` requests in flight; if one
  /// page fails for good, every page of the chunk carries that error.
  std::vector<Outcome<std::string>> run_many(std::span<const std::uint64_t> indices) const;
  /// A worker holds up to `inflight` pages at once in every variant ...
  int concurrency() const { return inflight; }
  /// ... and fetches them as they arrive, `inflight` requests in flight.
  void run_stream(TaskStream<std::string>& stream) const;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & api_base & access_token & count & connect_timeout_ms & timeout_ms & max_retries & max_backoff_ms & ca_file &
        max_rps & inflight & mids & pages;
    // clang-format on
  }
};

/// A task's result, read back.
struct PageResult {
  std::int64_t total = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::vector<std::pair<std::int64_t, std::string_view>> reposts;  ///< id, JSON (views into the payload)
};
PageResult parse_page_result(std::string_view payload);
/// The header of a task's result only (`reposts` left empty).
PageResult parse_page_header(std::string_view payload);
/// True when a task's result holds no repost.
bool page_is_empty(std::string_view payload);
/// Checks a task's result read back from a journal: it parses, and each repost
/// is a JSON object whose integer "id" is the one its line gives. Throws
/// std::exception saying what is wrong.
void check_page_result(std::string_view payload);

}  // namespace rankpool::reposts
