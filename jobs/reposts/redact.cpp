#include "reposts/redact.hpp"

#include <cctype>

namespace rankpool::reposts {

namespace {

constexpr std::string_view kTokenKey = "access_token=";

bool ends_value(char c) {
  return c == '&' || c == '#' || c == ';' || c == '"' || c == '\'' ||
         std::isspace(static_cast<unsigned char>(c)) != 0;
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
  return pos == 0 ||
         !(std::isalnum(static_cast<unsigned char>(text[pos - 1])) != 0 || text[pos - 1] == '_');
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) {
    return;
  }
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
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
  auto out = redact_url(text);
  if (!secret.empty()) {
    replace_all(out, secret, "***");
    auto encoded = url_encode(secret);
    if (encoded != secret) {
      replace_all(out, encoded, "***");
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
