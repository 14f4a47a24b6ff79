#include <simdjson.h>

#include <charconv>
#include <limits>

#include "reposts/detail/json_text.hpp"
#include "reposts/detail/page_walker.hpp"
#include "reposts/repost_page.hpp"

namespace rankpool::reposts {

using detail::integer_of;
using detail::trimmed;
using detail::valid_number;
using detail::Walker;
namespace od = simdjson::ondemand;

std::optional<WeiboErrorBody> parse_weibo_error(std::string_view body) {
  try {
    return detail::parse_copy(body, [](Walker& walk, od::document& doc) -> std::optional<WeiboErrorBody> {
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
  } catch (const detail::Invalid&) {
    return std::nullopt;
  }
}

}  // namespace rankpool::reposts
