#include "reposts/repost_page.hpp"

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace rankpool::reposts {

namespace {

using Json = nlohmann::ordered_json;

// nlohmann's parser recurses once per level, and copying an ordered_json
// value does too: a body nested thousands deep would overflow the stack.
constexpr int kMaxDepth = 512;

bool nested_too_deep(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// An integer that fits int64 and is positive, as ids are; else nothing.
std::optional<std::int64_t> positive_integer(const Json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    return std::nullopt;
  const auto number = value.get<std::int64_t>();
  return number > 0 ? std::optional<std::int64_t>(number) : std::nullopt;
}

// Weibo sends ids as numbers and as strings (`idstr`); a number that lost
// precision (a float) is not trusted.
std::optional<std::int64_t> id_of(const Json& status) {
  if (auto it = status.find("id"); it != status.end()) {
    if (auto id = positive_integer(*it)) return id;
  }
  for (const char* key : {"idstr", "id", "mid"}) {
    auto it = status.find(key);
    if (it == status.end() || !it->is_string()) {
      continue;
    }
    const auto& text = it->get_ref<const std::string&>();
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec == std::errc() && end == text.data() + text.size() && id > 0) {
      return id;
    }
  }
  return std::nullopt;
}

}  // namespace

RepostPage parse_repost_page(std::string_view body) {
  if (nested_too_deep(body)) throw MalformedPage("json nested deeper than " + std::to_string(kMaxDepth));
  Json doc;
  try {
    doc = Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& e) {
    throw MalformedPage("not json (" + std::to_string(body.size()) + " bytes, error at byte " +
                        std::to_string(e.byte) + ")");
  } catch (const Json::exception& e) {  // e.g. a number too large for a double
    throw MalformedPage("bad json (" + std::to_string(body.size()) + " bytes): " + e.what());
  }
  if (!doc.is_object()) {
    throw MalformedPage("not a json object");
  }
  auto reposts = doc.find("reposts");
  if (reposts == doc.end() || !reposts->is_array()) {
    throw MalformedPage("no reposts array");
  }
  auto total = doc.find("total_number");
  if (total == doc.end() || !total->is_number_integer() || total->get<std::int64_t>() < 0) {
    throw MalformedPage("no total_number");
  }
  RepostPage page;
  page.total_number = total->get<std::int64_t>();
  if (auto cursor = doc.find("next_cursor"); cursor != doc.end()) {
    page.next_cursor = positive_integer(*cursor).value_or(0);
  }
  page.reposts.reserve(reposts->size());
  std::size_t index = 0;
  for (const auto& status : *reposts) {
    if (!status.is_object()) {
      throw MalformedPage("repost " + std::to_string(index) + " is not an object");
    }
    auto id = id_of(status);
    if (!id) {
      throw MalformedPage("repost " + std::to_string(index) + " has no integer id");
    }
    page.reposts.push_back(Repost{*id, status.dump()});
    ++index;
  }
  return page;
}

std::optional<WeiboErrorBody> parse_weibo_error(std::string_view body) {
  if (nested_too_deep(body)) return std::nullopt;
  auto doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return std::nullopt;
  }
  auto code = doc.find("error_code");
  if (code == doc.end()) {
    return std::nullopt;
  }
  WeiboErrorBody out;
  if (code->is_number_integer()) {
    // nlohmann keeps every non-negative integer unsigned.
    if (code->is_number_unsigned() && code->get<std::uint64_t>() > static_cast<std::uint64_t>(INT32_MAX))
      return std::nullopt;
    const auto number = code->get<std::int64_t>();
    if (number < INT32_MIN || number > INT32_MAX) return std::nullopt;
    out.error_code = static_cast<int>(number);
  } else if (code->is_string()) {
    const auto& text = code->get_ref<const std::string&>();
    std::from_chars(text.data(), text.data() + text.size(), out.error_code);
  }
  if (auto error = doc.find("error"); error != doc.end() && error->is_string()) {
    out.error = error->get<std::string>();
  }
  return out;
}

}  // namespace rankpool::reposts
