#pragma once
/// One page of `statuses/repost_timeline` as the client keeps it, and the
/// parsing of the API's JSON answers (pages and error bodies).
///
/// Each repost is kept as the bytes the server sent: numbers, key order,
/// escapes and spacing are never re-serialized (`1E2` stays `1E2`, a 30-digit
/// number stays as sent). Two repairs only, so one odd repost never costs
/// its page and each repost stays one line of JSON Lines:
/// - bytes that are not UTF-8 become U+FFFD (`detail/utf8.hpp`); an escaped
///   lone surrogate (`"\ud800"`) is valid JSON text and passes through;
/// - a repost the server spread over several lines loses the whitespace
///   between its tokens (strings and numbers untouched).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool::reposts {

/// One repost: its id and the status object exactly as the API sent it.
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
  /// In the order sent.
  std::vector<Repost> reposts;
  /// `next_cursor` of the answer (0 when absent or not a positive integer).
  std::int64_t next_cursor = 0;
};

/// A 2xx body that is not a valid repost page (truncated, not JSON, fields
/// missing). The client treats it as transient and retries.
class MalformedPage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Deepest nesting of arrays and objects a body may have.
inline constexpr int kMaxJsonDepth = 512;

/// Spare bytes `parse_repost_page_in_place` wants after a body's end.
inline constexpr std::size_t kParsePadding = 64;

/// `body` parsed as a repost page (simdjson On-Demand; the whole body is
/// validated as JSON). Throws `MalformedPage` naming what is wrong ("not json
/// (...)", "no reposts array", "repost 3 has no integer id", "an error body").
/// Messages never quote the body.
[[nodiscard]] RepostPage parse_repost_page(std::string_view body);

/// The same without copying `body`: it appends `kParsePadding` spaces to
/// `body` for the parser and removes them again (reserve that much spare
/// capacity to avoid a reallocation). `body` may come back repaired (bad
/// UTF-8 replaced).
[[nodiscard]] RepostPage parse_repost_page_in_place(std::string& body);

/// The error fields of a Weibo error body
/// (`{"error": "...", "error_code": 21332, "request": "..."}`).
struct WeiboErrorBody {
  int error_code = 0;
  std::string error;
};

/// The error of `body` if it is a Weibo error object (an `error_code` that is
/// an int32 or a string of digits), otherwise nothing. Never throws but
/// `std::bad_alloc`.
[[nodiscard]] std::optional<WeiboErrorBody> parse_weibo_error(std::string_view body);

}  // namespace rankpool::reposts
