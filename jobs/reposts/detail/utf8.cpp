#include "reposts/detail/utf8.hpp"

#include <cstdint>

namespace rankpool::reposts::detail {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the sequence a lead byte starts (0: not a lead byte) and the range
// its second byte must fall in (Unicode Table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF).
struct Lead {
  int length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;
};

Lead lead_of(std::uint8_t c) {
  if (c >= 0xC2 && c <= 0xDF) return {2, 0x80, 0xBF};
  if (c == 0xE0) return {3, 0xA0, 0xBF};
  if (c == 0xED) return {3, 0x80, 0x9F};
  if (c >= 0xE1 && c <= 0xEF) return {3, 0x80, 0xBF};
  if (c == 0xF0) return {4, 0x90, 0xBF};
  if (c >= 0xF1 && c <= 0xF3) return {4, 0x80, 0xBF};
  if (c == 0xF4) return {4, 0x80, 0x8F};
  return {};
}

}  // namespace

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c < 0x80) {
      out.push_back(text[i]);
      ++i;
      continue;
    }
    const Lead lead = lead_of(c);
    if (lead.length == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    // The longest valid prefix is one maximal subpart: it becomes one U+FFFD
    // and the byte that broke it starts afresh.
    std::size_t j = 1;
    for (; j < static_cast<std::size_t>(lead.length) && i + j < text.size(); ++j) {
      const auto next = static_cast<std::uint8_t>(text[i + j]);
      const std::uint8_t low = j == 1 ? lead.low : 0x80;
      const std::uint8_t high = j == 1 ? lead.high : 0xBF;
      if (next < low || next > high) break;
    }
    if (j == static_cast<std::size_t>(lead.length)) {
      out.append(text.substr(i, j));
    } else {
      out.append(kReplacement);
    }
    i += j;
  }
  return out;
}

}  // namespace rankpool::reposts::detail
