#pragma once
/// The mock API's data: every repost is a pure function of (post id, serial),
/// so a test can check each one a client brings back.
///
/// A post with `total` reposts has serials `0` (oldest) .. `total - 1`
/// (newest); the API lists them newest first, so the k-th item of the
/// timeline (k = 0 first) is serial `total - 1 - k`. Ids grow with the
/// serial and are unique across posts whose ids differ by less than 2^32.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rankpool::reposts {

/// Largest post id the mock serves (larger ids get error 10017).
inline constexpr std::int64_t kMockMaxPostId = (std::int64_t{1} << 62) - 1;
/// Largest number of reposts of one mock post.
inline constexpr std::int64_t kMockMaxReposts = (std::int64_t{1} << 30) - 1;

/// Id of repost `serial` (0 = oldest) of post `post_id`.
/// Requires 0 < post_id <= kMockMaxPostId, 0 <= serial < kMockMaxReposts.
[[nodiscard]] std::int64_t mock_repost_id(std::int64_t post_id, std::int64_t serial);

/// Id of the k-th newest repost (k = 0 is the newest) of a post that has
/// `total` reposts: what item k of the timeline holds.
///
/// ```
/// // page p (1-based) at count c holds k = (p-1)*c ... p*c-1
/// EXPECT_EQ(page.reposts[i].id, expected_repost_id(mid, 2500, (p - 1) * c + i));
/// ```
[[nodiscard]] std::int64_t expected_repost_id(std::int64_t post_id, std::int64_t total, std::int64_t k);

/// Ways the mock's data can be odd, to test a client.
struct MockQuirks {
  /// Pages come in reverse order (page 1 holds the oldest reachable
  /// reposts), each page's reposts oldest first.
  bool out_of_order = false;
  /// The first repost of each page has a field `bad_text` holding bytes that
  /// are not UTF-8 and an escaped lone surrogate.
  bool bad_text = false;
  /// Every repost has `"score":1E2`, a 30-digit `big_number` and
  /// `"ratio":-0.50e-3`: numbers a client must not re-serialize.
  bool odd_numbers = false;
};

/// Appends the status object of repost `serial` of `post_id` to `out`, keys
/// in Weibo's order, compact (as nlohmann's dump() writes it), without
/// building a DOM.
void append_mock_repost(std::string& out, std::int64_t post_id, std::int64_t serial, const MockQuirks& quirks = {});

/// The same object, parsed (for tests).
[[nodiscard]] nlohmann::ordered_json mock_repost(std::int64_t post_id, std::int64_t serial);

/// One page request against the mock data.
struct MockPageQuery {
  std::int64_t post_id = 0;
  /// Reposts the post has now (`total_number`).
  std::int64_t total = 0;
  /// Only the newest `reachable` are paged to; pages past them are empty.
  std::int64_t reachable = 0;
  int count = 20;
  std::int64_t page = 1;
  MockQuirks quirks;
};

/// Pages that hold reposts: `ceil(min(total, reachable) / count)`.
[[nodiscard]] std::int64_t mock_page_pages(const MockPageQuery& query);

/// The JSON answer of `statuses/repost_timeline` for `query`, compact.
[[nodiscard]] std::string mock_page_body(const MockPageQuery& query);

/// A Weibo error body: `{"error": ..., "error_code": ..., "request": path}`.
[[nodiscard]] std::string mock_error_body(int error_code, std::string_view error, std::string_view request_path);

/// `unix_seconds` in Weibo's `created_at` form, China time:
/// `"Tue Jan 07 12:00:00 +0800 2014"`.
[[nodiscard]] std::string weibo_time(std::int64_t unix_seconds);

}  // namespace rankpool::reposts
