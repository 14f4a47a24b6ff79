// validate_api_base: any text is a normalized http(s) base that validates to
// itself and keeps no query or fragment, or an InputError whose message shows
// no access token.

#include <cctype>
#include <string>

#include "fuzz_support.hpp"
#include "reposts/errors.hpp"
#include "reposts/inputs.hpp"

namespace fuzz = rankpool::fuzz;
namespace reposts = rankpool::reposts;

namespace {

// True when `message` has an `access_token=` parameter whose value is not
// masked as "***" (or cut short by the message's "..." at that point).
bool shows_token(std::string_view message) {
  constexpr std::string_view kKey = "access_token=";
  for (std::size_t at = 0; at + kKey.size() <= message.size(); ++at) {
    bool match = true;
    for (std::size_t i = 0; i < kKey.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(message[at + i])) == kKey[i];
    // Only a whole parameter name, as redact_url treats it.
    if (!match ||
        (at > 0 && (std::isalnum(static_cast<unsigned char>(message[at - 1])) != 0 || message[at - 1] == '_')))
      continue;
    const auto value = message.substr(at + kKey.size());
    if (!value.empty() && value.front() != '*' && value.substr(0, 4) != "...'") return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  std::string base;
  try {
    base = reposts::validate_api_base(text);
  } catch (const reposts::InputError& e) {
    if (shows_token(e.what())) fuzz::fail(std::string("token in message: ") + e.what());
    return 0;
  } catch (const std::exception& e) {
    fuzz::fail("unexpected " + fuzz::type_name(e) + ": " + e.what());
  }
  if (base.find_first_of("?#") != std::string::npos) fuzz::fail("query or fragment kept: " + base);
  const auto scheme_end = base.find("://");
  if (scheme_end == std::string::npos) fuzz::fail("no scheme in " + base);
  if (base.size() > scheme_end + 3 && base.back() == '/') fuzz::fail("trailing '/' kept: " + base);
  std::string again;
  try {
    again = reposts::validate_api_base(base);
  } catch (const std::exception& e) {
    fuzz::fail("normalized base '" + base + "' rejected: " + e.what());
  }
  if (again != base) fuzz::fail("not idempotent: '" + base + "' -> '" + again + "'");
  return 0;
}
