#include "reposts/repost_page.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "reposts/detail/utf8.hpp"

namespace rankpool::reposts {

namespace {

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

ParserState& parser_state() {
  thread_local ParserState state;
  return state;
}

void release_if_large(ParserState& state) {
  if (state.parser.capacity() > kKeepParserCapacity) state.parser = od::parser{};
  if (state.dom.capacity() > kKeepDomCapacity) state.dom = simdjson::dom::parser{kDomCheckMax};
  if (state.buffer.capacity() > kKeepParserCapacity) state.buffer = std::string();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trimmed(std::string_view token) {
  while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
  return token;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
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

// A valid number without fraction or exponent that fits int64.
std::optional<std::int64_t> integer_of(std::string_view t) {
  if (!valid_number(t) || t.find_first_of(".eE") != std::string_view::npos) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

// Checks the escapes of a string whose content starts at `p`; returns the
// byte after its closing quote, or nullptr for a bad escape. Stage 1 has
// already found the closing quote and refused raw control characters.
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

  [[noreturn]] void fail(simdjson::error_code error) const {
    if (error == simdjson::DEPTH_ERROR) too_deep();
    throw Invalid{"not json (" + std::to_string(end_ - begin_) + " bytes): " + simdjson::error_message(error)};
  }

  [[noreturn]] static void too_deep() {
    throw Invalid{"json nested deeper than " + std::to_string(kMaxJsonDepth)};
  }

  [[noreturn]] void bad(const char* what) const {
    throw Invalid{"not json (" + std::to_string(end_ - begin_) + " bytes): " + what};
  }

  // A field's key, checked; its raw text between the quotes.
  std::string_view key(od::field& field) {
    const char* start = field.key().raw();
    const char* after = scan_string(start, end_);
    if (after == nullptr) bad("bad escape in a key");
    return {start, static_cast<std::size_t>(after - 1 - start)};
  }

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
  void check(od::value value, int depth) {
    // A value left alone is skipped when the walk moves on.
    if (validated_) return;
    switch (take(value.type())) {
      case od::json_type::object: {
        if (depth + 1 > kMaxJsonDepth) too_deep();
        od::object object = take(value.get_object());
        for (auto item : object) {
          od::field field = take(std::move(item));
          (void)key(field);
          check(field.value(), depth + 1);
        }
        break;
      }
      case od::json_type::array: {
        if (depth + 1 > kMaxJsonDepth) too_deep();
        od::array array = take(value.get_array());
        for (auto item : array) check(take(std::move(item)), depth + 1);
        break;
      }
      case od::json_type::string:
        check_string(trimmed(value.raw_json_token()));
        break;
      case od::json_type::number:
        if (!valid_number(trimmed(value.raw_json_token()))) bad("bad number");
        break;
      case od::json_type::boolean: {
        const auto token = trimmed(value.raw_json_token());
        if (token != "true" && token != "false") bad("bad literal");
        break;
      }
      case od::json_type::null:
        if (trimmed(value.raw_json_token()) != "null") bad("bad literal");
        break;
    }
  }

  // A string value: stage 1 has matched its quotes, so only the escapes
  // between them are left to check.
  void check_string(std::string_view token) {
    if (token.size() < 2 || token.front() != '"' || token.back() != '"') bad("bad string");
    const char* p = token.data() + 1;
    const char* end = token.data() + token.size() - 1;
    while (p < end) {
      p = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
      if (p == nullptr) return;
      if (end - p < 2) bad("bad string");
      if (p[1] == 'u') {
        if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) bad("bad escape");
        p += 6;
      } else if (std::memchr("\"\\/bfnrt", p[1], 8) != nullptr) {
        p += 2;
      } else {
        bad("bad escape");
      }
    }
  }

  // Where the iterator stands: the token after the last value consumed.
  const char* position() {
    const char* at = nullptr;
    if (doc_.current_location().get(at) != simdjson::SUCCESS) return end_;
    return at;
  }

  // True when nothing follows the root value.
  bool at_end() {
    const char* at = nullptr;
    return doc_.current_location().get(at) != simdjson::SUCCESS;
  }

 private:
  od::document& doc_;
  const char* begin_;
  const char* end_;
  bool validated_;
};

// The id of a repost, by the rules Weibo's fields call for: `id` as a number,
// else `idstr`, `id` or `mid` as a string of digits; positive.
struct IdFields {
  std::string_view id, idstr, mid;

  std::optional<std::int64_t> resolve() const {
    if (auto number = integer_of(id); number && *number > 0) return number;
    for (std::string_view token : {idstr, id, mid}) {
      if (token.size() < 3 || token.front() != '"') continue;
      const std::string_view digits = token.substr(1, token.size() - 2);
      if (digits.empty() || !is_digit(digits.front())) continue;
      std::int64_t value = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec == std::errc() && end == digits.data() + digits.size() && value > 0) return value;
    }
    return std::nullopt;
  }
};

// One repost: validated, its id found, its bytes copied.
Repost take_repost(Walker& walk, od::value value, std::size_t index) {
  auto where = [index] { return "repost " + std::to_string(index); };
  if (walk.take(value.type()) != od::json_type::object) throw Invalid{where() + " is not an object"};
  const char* start = walk.take(value.current_location());
  // The page is depth 1, its reposts array 2: this object is depth 3.
  static_assert(kMaxJsonDepth >= 3);
  od::object object = walk.take(value.get_object());
  IdFields ids;
  static constexpr std::string_view kIdKeys[] = {"id", "idstr", "mid"};
  for (auto item : object) {
    od::field field = walk.take(std::move(item));
    const int which = walk.key_among(field, kIdKeys);
    od::value member = field.value();
    if (which >= 0) (which == 0 ? ids.id : which == 1 ? ids.idstr : ids.mid) = trimmed(member.raw_json_token());
    walk.check(member, 3);
  }
  // The object ends at the last '}' before the next token.
  const char* end = walk.position();
  while (end > start && end[-1] != '}') --end;
  const auto id = ids.resolve();
  if (!id) throw Invalid{where() + " has no integer id"};
  const std::string_view bytes(start, static_cast<std::size_t>(end - start));
  Repost repost{*id, {}};
  // (find_first_of would call memchr once per byte.)
  const bool one_line = std::memchr(bytes.data(), '\n', bytes.size()) == nullptr &&
                        std::memchr(bytes.data(), '\r', bytes.size()) == nullptr;
  if (one_line) {
    repost.json.assign(bytes);
  } else {
    // One repost per line of output: drop the line breaks between tokens.
    repost.json.resize(bytes.size());
    std::size_t size = 0;
    if (simdjson::minify(bytes.data(), bytes.size(), repost.json.data(), size) != simdjson::SUCCESS)
      throw Invalid{where() + " cannot be put on one line"};
    repost.json.resize(size);
  }
  return repost;
}

RepostPage walk_page(Walker& walk, od::document& doc) {
  if (walk.take(doc.type()) != od::json_type::object) throw Invalid{"not a json object"};
  od::object root = walk.take(doc.get_object());
  RepostPage page;
  bool have_reposts = false;
  bool have_total = false;
  bool error_body = false;
  for (auto item : root) {
    od::field field = walk.take(std::move(item));
    const std::string_view key = walk.key(field);
    od::value value = field.value();
    if (key == "reposts") {
      if (have_reposts) throw Invalid{"two reposts arrays"};
      if (walk.take(value.type()) != od::json_type::array) throw Invalid{"no reposts array"};
      have_reposts = true;
      od::array reposts = walk.take(value.get_array());
      std::size_t index = 0;
      for (auto repost : reposts) page.reposts.push_back(take_repost(walk, walk.take(std::move(repost)), index++));
      continue;
    }
    const auto token = trimmed(value.raw_json_token());
    if (key == "total_number") {
      const auto total = integer_of(token);
      have_total = total && *total >= 0;
      page.total_number = have_total ? *total : 0;
    } else if (key == "next_cursor") {
      const auto cursor = integer_of(token);
      page.next_cursor = cursor && *cursor > 0 ? *cursor : 0;
    } else if (key == "error_code") {
      error_body = true;
    }
    walk.check(value, 1);
  }
  if (!walk.at_end()) walk.bad("more after the end");
  if (error_body) throw Invalid{"an error body"};
  if (!have_reposts) throw Invalid{"no reposts array"};
  if (!have_total) throw Invalid{"no total_number"};
  return page;
}

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
    throw Invalid{error == simdjson::EMPTY ? "not json (0 bytes)"
                                           : "not json (" + std::to_string(size) +
                                                 " bytes): " + simdjson::error_message(error)};
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

}  // namespace

RepostPage parse_repost_page(std::string_view body) {
  try {
    return parse_copy(body, walk_page);
  } catch (const Invalid& invalid) {
    throw MalformedPage(invalid.why);
  }
}

RepostPage parse_repost_page_in_place(std::string& body) {
  ParserState& state = parser_state();
  const std::size_t size = body.size();
  body.append(kParsePadding, ' ');
  struct Restore {
    std::string& body;
    ParserState& state;
    ~Restore() {
      // The padding is the last kParsePadding bytes, repaired or not.
      body.resize(body.size() - kParsePadding);
      release_if_large(state);
    }
  } restore{body, state};
  try {
    return parse_padded(state, body, size, walk_page);
  } catch (const Invalid& invalid) {
    throw MalformedPage(invalid.why);
  }
}

std::optional<WeiboErrorBody> parse_weibo_error(std::string_view body) {
  try {
    return parse_copy(body, [](Walker& walk, od::document& doc) -> std::optional<WeiboErrorBody> {
      if (walk.take(doc.type()) != od::json_type::object) return std::nullopt;
      od::object root = walk.take(doc.get_object());
      std::optional<WeiboErrorBody> out;
      bool code_fits = true;
      std::string error;
      for (auto item : root) {
        od::field field = walk.take(std::move(item));
        const std::string_view key = walk.key(field);
        od::value value = field.value();
        const auto token = trimmed(value.raw_json_token());
        walk.check(value, 1);
        if (key == "error_code" && !out) {
          out.emplace();
          if (auto number = integer_of(token)) {
            code_fits = *number >= std::numeric_limits<int>::min() && *number <= std::numeric_limits<int>::max();
            out->error_code = code_fits ? static_cast<int>(*number) : 0;
          } else if (valid_number(token) && token.find_first_of(".eE") == std::string_view::npos) {
            code_fits = false;  // an integer beyond int64
          } else if (token.size() >= 2 && token.front() == '"') {
            const auto text = token.substr(1, token.size() - 2);
            std::from_chars(text.data(), text.data() + text.size(), out->error_code);
          }
        } else if (key == "error" && error.empty() && token.size() >= 2 && token.front() == '"') {
          // check() only peeked at the string; an escape that does not
          // decode (a lone surrogate) leaves the text out.
          std::string_view text;
          if (value.get_string().get(text) == simdjson::SUCCESS) error = text;
        }
      }
      if (!walk.at_end()) walk.bad("more after the end");
      if (!out || !code_fits) return std::nullopt;
      out->error = std::move(error);
      return out;
    });
  } catch (const Invalid&) {
    return std::nullopt;
  }
}

}  // namespace rankpool::reposts
