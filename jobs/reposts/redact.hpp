#pragma once
/// Keeping the access token out of everything that gets printed.

#include <string>
#include <string_view>

namespace rankpool::reposts {

/// `url` with the value of every `access_token` query parameter replaced by
/// `***`; the rest is unchanged.
///
/// ```
/// redact_url("https://api.weibo.com/2/x.json?id=1&access_token=abc")
///   == "https://api.weibo.com/2/x.json?id=1&access_token=***"
/// ```
[[nodiscard]] std::string redact_url(std::string_view url);

/// `text` with every `access_token=` value redacted (as `redact_url`) and
/// every occurrence of `secret` replaced by `***`, in any URL encoding: each
/// byte literal or `%XX` (upper or lower case hex, mixed freely), a space
/// also as `+`. For curl error buffers, server error texts and anything else
/// printed.
///
/// ```
/// redact_secret("bad tok%2fEN%2Bs3 here", "tok/EN+s3") == "bad *** here"
/// ```
[[nodiscard]] std::string redact_secret(std::string_view text, std::string_view secret);

/// `text` percent-encoded as a URL query value (RFC 3986 unreserved kept).
[[nodiscard]] std::string url_encode(std::string_view text);

}  // namespace rankpool::reposts
