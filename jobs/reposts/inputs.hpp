#pragma once
/// Validation of user input at the boundary: post ids, mids files, the API
/// base URL and the access token. Every function throws `InputError` with a
/// message that names the input (file and line where there is one).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool::reposts {

/// Environment variable the access token is read from.
inline constexpr const char* kTokenEnv = "WEIBO_ACCESS_TOKEN";

/// `text` as a post id: ASCII digits only (no sign, no spaces), fits int64,
/// greater than 0. Throws `InputError` ("invalid post id 'x': ...").
[[nodiscard]] std::int64_t parse_post_id(std::string_view text);

/// Largest mids file read (about 3 million ids).
inline constexpr std::size_t kMaxMidsFileBytes = std::size_t{64} << 20;
/// Largest token file read.
inline constexpr std::size_t kMaxTokenFileBytes = std::size_t{64} << 10;

/// Post ids of a mids file, in file order with repeats dropped.
///
/// One id per line; blank lines and `#` comments (whole line or after the
/// id) are allowed; CRLF endings are fine. Throws `InputError` when the file
/// cannot be read, is larger than `kMaxMidsFileBytes` (so `/dev/zero` fails
/// at once), holds no id, or a line is not a valid id
/// ("mids file 'f' line 3: invalid post id 'abc': ...").
[[nodiscard]] std::vector<std::int64_t> parse_mids_file(const std::filesystem::path& file);

/// Same as `parse_mids_file` for text already in memory; `name` is used in
/// messages.
[[nodiscard]] std::vector<std::int64_t> parse_mids_text(std::string_view text, std::string_view name);

/// `url` checked as an API base and normalized (no trailing `/`): scheme
/// http or https, a host, no query, fragment or user info. Throws
/// `InputError` ("--api-base: ...").
///
/// ```
/// validate_api_base("https://api.weibo.com/") == "https://api.weibo.com"
/// ```
[[nodiscard]] std::string validate_api_base(std::string_view url);

/// Prints "rankpool: warning: <message>" on stderr.
void warn_on_stderr(const std::string& message);

/// The access token: from `token_file` when given (whitespace trimmed),
/// otherwise from `WEIBO_ACCESS_TOKEN`. Throws `InputError` when the file is
/// unreadable, empty or larger than `kMaxTokenFileBytes`, or when neither
/// source has a token. A regular token file that group or others may access
/// gets `warn` called (as ssh does for keys). The token itself never appears
/// in a message.
[[nodiscard]] std::string read_access_token(const std::optional<std::filesystem::path>& token_file,
                                            const std::function<void(const std::string&)>& warn = warn_on_stderr);

}  // namespace rankpool::reposts
