#pragma once
/// One page of `statuses/repost_timeline` as the client keeps it, and the
/// parsing of the API's JSON answers (pages and error bodies).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool::reposts {

/// One repost: its id and the status object exactly as the API sent it
/// (compact JSON, keys in the API's order).
struct Repost {
  std::int64_t id = 0;
  std::string json;

  friend bool operator==(const Repost&, const Repost&) = default;
};

/// One parsed page.
struct RepostPage {
  /// `total_number` of the answer: the post's repost count, including reposts
  /// the API will not page to.
  std::int64_t total_number = 0;
  /// Newest first, as sent.
  std::vector<Repost> reposts;
  /// `next_cursor` of the answer (0 when absent).
  std::int64_t next_cursor = 0;
};

/// A 2xx body that is not a valid repost page (truncated, not JSON, fields
/// missing). The client treats it as transient and retries.
class MalformedPage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `body` parsed as a repost page. Throws `MalformedPage` naming what is wrong
/// ("not json: ...", "no reposts array", "repost 3 has no integer id").
[[nodiscard]] RepostPage parse_repost_page(std::string_view body);

/// The error fields of a Weibo error body
/// (`{"error": "...", "error_code": 21332, "request": "..."}`).
struct WeiboErrorBody {
  int error_code = 0;
  std::string error;
};

/// The error of `body` if it is a Weibo error object, otherwise nothing.
[[nodiscard]] std::optional<WeiboErrorBody> parse_weibo_error(std::string_view body);

}  // namespace rankpool::reposts
