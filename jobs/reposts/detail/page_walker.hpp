#pragma once
/// \file
/// The walk over a page simdjson has parsed (On-Demand), validating every value it passes, and
/// the per-thread parser state it runs on. Shared by the page parser (repost_page.cpp) and the
/// error-body parser (weibo_error.cpp).

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "reposts/detail/utf8.hpp"
#include "reposts/repost_page.hpp"

namespace rankpool::reposts::detail {

namespace od = simdjson::ondemand;

static_assert(kParsePadding >= simdjson::SIMDJSON_PADDING);

// A parser keeps buffers sized for the largest body it has read (about 6
// bytes per byte of body); past this it is dropped after use.
constexpr std::size_t kKeepParserCapacity = std::size_t{8} << 20;

// Bodies up to this size are first validated by simdjson's DOM parser (fast,
// and its tape needs 8 bytes per body byte); the On-Demand walk then only
// finds the reposts. Bigger bodies, and bodies the DOM parser refuses (it is
// stricter: a lone surrogate, a number beyond double), get the full walk.
constexpr std::size_t kDomCheckMax = std::size_t{4} << 20;
constexpr std::size_t kKeepDomCapacity = std::size_t{1} << 20;

// Thrown inside a walk; the callers turn it into MalformedPage or nothing.
struct Invalid {
  std::string why;
};

struct ParserState {
  od::parser parser;
  simdjson::dom::parser dom{kDomCheckMax};
  std::string buffer;  // padded copy of a body
};

/// This thread's parsers and buffer.
ParserState& parser_state();

/// Drops what grew past the capacities worth keeping.
void release_if_large(ParserState& state);

// Walks one parsed document, validating every value it passes.
class Walker {
 public:
  /// `validated`: the DOM parser accepted the body, values need no check.
  Walker(od::document& doc, const char* begin, std::size_t size, bool validated)
      : doc_(doc), begin_(begin), end_(begin + size), validated_(validated) {}

  template <class T>
  T take(simdjson::simdjson_result<T>&& result) {
    T value;
    if (auto error = std::move(result).get(value)) fail(error);
    return value;
  }

  [[noreturn]] void fail(simdjson::error_code error) const;
  [[noreturn]] static void too_deep();
  [[noreturn]] void bad(const char* what) const;

  // A field's key, checked; its raw text between the quotes.
  std::string_view key(od::field& field);

  // Which of `names` a field's key is (its index, or -1), as key() would
  // tell; once the DOM parser has checked the keys, without scanning them.
  template <std::size_t N>
  int key_among(od::field& field, const std::string_view (&names)[N]) {
    if (!validated_) {
      const std::string_view name = key(field);
      for (std::size_t i = 0; i < N; ++i)
        if (name == names[i]) return static_cast<int>(i);
      return -1;
    }
    // The key is valid JSON text: it is `name` if `name"` starts it (no name
    // holds a quote or a backslash).
    const od::raw_json_string raw = field.key();
    for (std::size_t i = 0; i < N; ++i)
      if (raw.unsafe_is_equal(names[i])) return static_cast<int>(i);
    return -1;
  }

  // Validates `value` and everything in it; `depth` counts the arrays and
  // objects around it.
  void check(od::value value, int depth);

  // Where the iterator stands: the token after the last value consumed.
  const char* position();

  // True when nothing follows the root value.
  bool at_end();

 private:
  void check_members(od::value value, od::json_type type, int depth);

  od::document& doc_;
  const char* begin_;
  const char* end_;
  bool validated_;
};

// Parses `buffer[0, size)` (with padding after it) with `walk_fn`; answers
// that are not UTF-8 are repaired first and the buffer replaced.
template <class Fn>
auto parse_padded(ParserState& state, std::string& buffer, std::size_t size, Fn&& walk_fn) {
  auto parsed = state.parser.iterate(buffer.data(), size, buffer.size());
  if (parsed.error() == simdjson::UTF8_ERROR) {
    buffer = detail::repair_utf8(std::string_view(buffer.data(), size));
    size = buffer.size();
    buffer.append(kParsePadding, ' ');
    parsed = state.parser.iterate(buffer.data(), size, buffer.size());
  }
  od::document doc;
  if (auto error = std::move(parsed).get(doc)) {
    throw Invalid{error == simdjson::EMPTY
                      ? "not json (0 bytes)"
                      : "not json (" + std::to_string(size) + " bytes): " + simdjson::error_message(error)};
  }
  bool validated = false;
  if (size <= kDomCheckMax) {
    // The DOM parser enforces the same depth limit; capacity as it needs.
    if (state.dom.max_depth() != static_cast<std::size_t>(kMaxJsonDepth) || state.dom.capacity() < size) {
      validated = state.dom.allocate(std::max(size, state.dom.capacity()), kMaxJsonDepth) == simdjson::SUCCESS;
    } else {
      validated = true;
    }
    validated = validated && state.dom.parse(buffer.data(), size, false).error() == simdjson::SUCCESS;
  }
  Walker walk(doc, buffer.data(), size, validated);
  return walk_fn(walk, doc);
}

template <class Fn>
auto parse_copy(std::string_view body, Fn&& walk_fn) {
  ParserState& state = parser_state();
  state.buffer.reserve(body.size() + kParsePadding);
  state.buffer.assign(body);
  state.buffer.append(kParsePadding, ' ');
  struct Release {
    ParserState& state;
    ~Release() { release_if_large(state); }
  } release{state};
  return parse_padded(state, state.buffer, body.size(), walk_fn);
}

}  // namespace rankpool::reposts::detail
