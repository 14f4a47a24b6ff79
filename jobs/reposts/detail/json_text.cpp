#include "reposts/detail/json_text.hpp"

#include <charconv>
#include <cstring>

namespace rankpool::reposts::detail {

bool valid_number(std::string_view t) {
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size()) return false;
  if (t[i] == '0') {
    ++i;
  } else if (is_digit(t[i])) {
    while (i < t.size() && is_digit(t[i])) ++i;
  } else {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    const std::size_t digits = i;
    while (i < t.size() && is_digit(t[i])) ++i;
    if (i == digits) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    const std::size_t digits = i;
    while (i < t.size() && is_digit(t[i])) ++i;
    if (i == digits) return false;
  }
  return i == t.size();
}

std::optional<std::int64_t> integer_of(std::string_view t) {
  if (!valid_number(t) || t.find_first_of(".eE") != std::string_view::npos) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

const char* scan_string(const char* p, const char* end) {
  while (p < end) {
    const char c = *p;
    if (c == '"') return p + 1;
    if (c != '\\') {
      ++p;
      continue;
    }
    if (p + 1 >= end) return nullptr;
    switch (p[1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        p += 2;
        break;
      case 'u':
        // Any four hex digits: a lone surrogate is valid JSON text.
        if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) return nullptr;
        p += 6;
        break;
      default:
        return nullptr;
    }
  }
  return nullptr;
}

const char* string_problem(std::string_view token) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return "bad string";
  const char* p = token.data() + 1;
  const char* end = token.data() + token.size() - 1;
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (p == nullptr) return nullptr;
    if (end - p < 2) return "bad string";
    if (p[1] == 'u') {
      if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) return "bad escape";
      p += 6;
    } else if (std::memchr("\"\\/bfnrt", p[1], 8) != nullptr) {
      p += 2;
    } else {
      return "bad escape";
    }
  }
  return nullptr;
}

}  // namespace rankpool::reposts::detail
