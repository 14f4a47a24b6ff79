#include "reposts/detail/page_walker.hpp"

#include "reposts/detail/json_text.hpp"

namespace rankpool::reposts::detail {

ParserState& parser_state() {
  thread_local ParserState state;
  return state;
}

void release_if_large(ParserState& state) {
  if (state.parser.capacity() > kKeepParserCapacity) state.parser = od::parser{};
  if (state.dom.capacity() > kKeepDomCapacity) state.dom = simdjson::dom::parser{kDomCheckMax};
  if (state.buffer.capacity() > kKeepParserCapacity) state.buffer = std::string();
}

void Walker::fail(simdjson::error_code error) const {
  if (error == simdjson::DEPTH_ERROR) too_deep();
  throw Invalid{"not json (" + std::to_string(end_ - begin_) + " bytes): " + simdjson::error_message(error)};
}

void Walker::too_deep() { throw Invalid{"json nested deeper than " + std::to_string(kMaxJsonDepth)}; }

void Walker::bad(const char* what) const {
  throw Invalid{"not json (" + std::to_string(end_ - begin_) + " bytes): " + what};
}

std::string_view Walker::key(od::field& field) {
  const char* start = field.key().raw();
  const char* after = scan_string(start, end_);
  if (after == nullptr) bad("bad escape in a key");
  return {start, static_cast<std::size_t>(after - 1 - start)};
}

void Walker::check(od::value value, int depth) {
  // A value left alone is skipped when the walk moves on.
  if (validated_) return;
  const od::json_type type = take(value.type());
  if (type == od::json_type::object || type == od::json_type::array) {
    if (depth + 1 > kMaxJsonDepth) too_deep();
    check_members(value, type, depth + 1);
    return;
  }
  const std::string_view token = trimmed(value.raw_json_token());
  switch (type) {
    case od::json_type::string:
      if (const char* problem = string_problem(token)) bad(problem);
      break;
    case od::json_type::number:
      if (!valid_number(token)) bad("bad number");
      break;
    case od::json_type::boolean:
      if (token != "true" && token != "false") bad("bad literal");
      break;
    case od::json_type::null:
      if (token != "null") bad("bad literal");
      break;
    default:
      break;
  }
}

// The members of an object or array at `depth`, each checked.
void Walker::check_members(od::value value, od::json_type type, int depth) {
  if (type == od::json_type::object) {
    od::object object = take(value.get_object());
    for (auto item : object) {
      od::field field = take(std::move(item));
      (void)key(field);
      check(field.value(), depth);
    }
    return;
  }
  od::array array = take(value.get_array());
  for (auto item : array) check(take(std::move(item)), depth);
}

const char* Walker::position() {
  const char* at = nullptr;
  if (doc_.current_location().get(at) != simdjson::SUCCESS) return end_;
  return at;
}

bool Walker::at_end() {
  const char* at = nullptr;
  return doc_.current_location().get(at) != simdjson::SUCCESS;
}

}  // namespace rankpool::reposts::detail
