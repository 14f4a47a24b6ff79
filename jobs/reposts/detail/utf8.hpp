#pragma once
// Private to the reposts client: making an answer valid UTF-8 so that one bad
// repost does not cost the page.

#include <string>
#include <string_view>

namespace rankpool::reposts::detail {

/// `text` with each ill-formed UTF-8 sequence replaced by U+FFFD (EF BF BD),
/// one replacement per maximal ill-formed subpart, as the WHATWG decoder and
/// Python's `errors="replace"` do. Valid sequences (ASCII included) are kept
/// byte for byte, so JSON structure is never changed.
///
/// ```
/// repair_utf8("a\xffb") == "a\xef\xbf\xbdb"
/// ```
[[nodiscard]] std::string repair_utf8(std::string_view text);

}  // namespace rankpool::reposts::detail
