#include "reposts/repost_page.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "reposts/detail/json_text.hpp"
#include "reposts/detail/page_walker.hpp"

namespace rankpool::reposts {

namespace {

using detail::integer_of;
using detail::Invalid;
using detail::is_digit;
using detail::ParserState;
using detail::trimmed;
using detail::Walker;
namespace od = simdjson::ondemand;

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

}  // namespace

RepostPage parse_repost_page(std::string_view body) {
  try {
    return detail::parse_copy(body, walk_page);
  } catch (const Invalid& invalid) {
    throw MalformedPage(invalid.why);
  }
}

RepostPage parse_repost_page_in_place(std::string& body) {
  ParserState& state = detail::parser_state();
  const std::size_t size = body.size();
  body.append(kParsePadding, ' ');
  struct Restore {
    std::string& body;
    ParserState& state;
    ~Restore() {
      // The padding is the last kParsePadding bytes, repaired or not.
      body.resize(body.size() - kParsePadding);
      detail::release_if_large(state);
    }
  } restore{body, state};
  try {
    return detail::parse_padded(state, body, size, walk_page);
  } catch (const Invalid& invalid) {
    throw MalformedPage(invalid.why);
  }
}

}  // namespace rankpool::reposts
