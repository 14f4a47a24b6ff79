#pragma once
/// Validation of user input at the boundary: post ids, mids files, the API
/// base URL and the access token. Every function throws `InputError` with a
/// message that names the input (file and line where there is one).

#include <cstdint>
#include <filesystem>
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

/// Post ids of a mids file, in file order with repeats dropped.
///
/// One id per line; blank lines and `#` comments (whole line or after the
/// id) are allowed; CRLF endings are fine. Throws `InputError` when the file
/// cannot be read, holds no id, or a line is not a valid id
/// ("mids file 'f' line 3: invalid post id 'abc': ...").
[[nodiscard]] std::vector<std::int64_t> parse_mids_file(const std::filesystem::path& file);

/// Same as `parse_mids_file` for text already in memory; `name` is used in
/// messages.
[[nodiscard]] std::vector<std::int64_t> parse_mids_text(std::string_view text,
                                                        std::string_view name);

/// `url` checked as an API base and normalized (no trailing `/`): scheme
/// http or https, a host, no query, fragment or user info. Throws
/// `InputError` ("--api-base: ...").
///
/// ```
/// validate_api_base("https://api.weibo.com/") == "https://api.weibo.com"
/// ```
[[nodiscard]] std::string validate_api_base(std::string_view url);

/// The access token: from `token_file` when given (whitespace trimmed),
/// otherwise from `WEIBO_ACCESS_TOKEN`. Throws `InputError` when the file is
/// unreadable or empty, or when neither source has a token. The token itself
/// never appears in a message.
[[nodiscard]] std::string read_access_token(const std::optional<std::filesystem::path>& token_file);

}  // namespace rankpool::reposts
