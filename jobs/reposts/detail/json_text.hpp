#pragma once
/// \file
/// The checks of JSON text that simdjson's On-Demand API leaves to its user: numbers, escapes,
/// literals (RFC 8259), on the raw bytes of a token.

#include <cstdint>
#include <optional>
#include <string_view>

namespace rankpool::reposts::detail {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

inline std::string_view trimmed(std::string_view token) {
  while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
  return token;
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// Whether T is an RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
bool valid_number(std::string_view t);

/// A valid number without fraction or exponent that fits int64.
std::optional<std::int64_t> integer_of(std::string_view t);

/// Checks the escapes of a string whose content starts at `p`; returns the byte after its
/// closing quote, or nullptr for a bad escape. Stage 1 has already found the closing quote and
/// refused raw control characters.
const char* scan_string(const char* p, const char* end);

/// Checks a string token (its quotes included) whose quotes stage 1 has matched: nullptr when its
/// escapes are good, else what is wrong ("bad string", "bad escape").
const char* string_problem(std::string_view token);

}  // namespace rankpool::reposts::detail
