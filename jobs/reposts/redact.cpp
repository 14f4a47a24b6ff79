#include "reposts/redact.hpp"

#include <cctype>

namespace rankpool::reposts {

namespace {

constexpr std::string_view kTokenKey = "access_token=";

bool ends_value(char c) {
  return c == '&' || c == '#' || c == ';' || c == '"' || c == '\'' || std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool starts_key_at(std::string_view text, std::size_t pos) {
  if (text.size() - pos < kTokenKey.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kTokenKey.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) != kTokenKey[i]) {
      return false;
    }
  }
  // Only a whole parameter name: "xaccess_token=" is someone else's.
  return pos == 0 || !(std::isalnum(static_cast<unsigned char>(text[pos - 1])) != 0 || text[pos - 1] == '_');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the text at `pos` that decodes to `secret`, each byte of it
// written literally, as %XX (either case) or, for a space, as '+'; 0 if none.
std::size_t encoded_match(std::string_view text, std::size_t pos, std::string_view secret) {
  std::size_t at = pos;
  for (char want : secret) {
    if (at >= text.size()) return 0;
    const char c = text[at];
    if (c == '%' && at + 2 < text.size() && hex_value(text[at + 1]) >= 0 && hex_value(text[at + 2]) >= 0 &&
        static_cast<char>(hex_value(text[at + 1]) * 16 + hex_value(text[at + 2])) == want) {
      at += 3;
    } else if (c == want || (want == ' ' && c == '+')) {
      at += 1;
    } else {
      return 0;
    }
  }
  return at - pos;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  std::size_t i = 0;
  while (i < url.size()) {
    if (starts_key_at(url, i)) {
      out.append(url.substr(i, kTokenKey.size()));
      out.append("***");
      i += kTokenKey.size();
      while (i < url.size() && !ends_value(url[i])) {
        ++i;
      }
    } else {
      out.push_back(url[i]);
      ++i;
    }
  }
  return out;
}

std::string redact_secret(std::string_view text, std::string_view secret) {
  auto redacted = redact_url(text);
  if (secret.empty()) {
    return redacted;
  }
  std::string out;
  out.reserve(redacted.size());
  for (std::size_t i = 0; i < redacted.size();) {
    if (const auto length = encoded_match(redacted, i, secret); length > 0) {
      out.append("***");
      i += length;
    } else {
      out.push_back(redacted[i]);
      ++i;
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

}  // namespace rankpool::reposts
