#include "reposts/inputs.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <unordered_set>

#include "reposts/errors.hpp"
#include "reposts/redact.hpp"

namespace rankpool::reposts {

namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

// Quoted for messages, cut short so a binary file does not flood the terminal.
std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  out += text.substr(0, kMax);
  if (text.size() > kMax) {
    out += "...";
  }
  out += "'";
  return out;
}

// Reads at most `limit` bytes: a device such as /dev/zero or a huge file
// fails fast instead of filling memory.
std::string read_file(const std::filesystem::path& file, std::string_view what, std::size_t limit,
                      const std::function<void(const std::string&)>& warn = {}) {
  const std::string name = std::string(what) + " '" + file.string() + "'";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw InputError(name + ": cannot open: " + std::strerror(errno));
  }
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } close_fd{fd};
  struct stat info {};
  if (::fstat(fd, &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw InputError(name + ": is a folder");
    if (warn && S_ISREG(info.st_mode) && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
      warn(name + " is accessible by group or others (mode " + mode + "); chmod 600 it");
    }
  }
  std::string text;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(name + ": cannot read: " + std::strerror(errno));
    }
    if (got == 0) break;
    if (text.size() + static_cast<std::size_t>(got) > limit) {
      const bool mib = limit >= (std::size_t{1} << 20);
      throw InputError(name + ": larger than the limit of " + std::to_string(mib ? limit >> 20 : limit >> 10) +
                       (mib ? " MiB" : " KiB"));
    }
    text.append(chunk, static_cast<std::size_t>(got));
  }
  return text;
}

struct CurlUrl {
  CURLU* handle = curl_url();
  CurlUrl() = default;
  CurlUrl(const CurlUrl&) = delete;
  CurlUrl& operator=(const CurlUrl&) = delete;
  ~CurlUrl() { curl_url_cleanup(handle); }

  std::string part(CURLUPart which) const {
    char* value = nullptr;
    if (curl_url_get(handle, which, &value, 0) != CURLUE_OK || value == nullptr) {
      return {};
    }
    std::string out = value;
    curl_free(value);
    return out;
  }
};

// The url as it may be printed: no token, no user info.
std::string shown_url(std::string_view url) {
  auto shown = redact_url(url);
  auto start = shown.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto at = shown.find('@', start);
  if (at != std::string::npos && shown.find_first_of("/?#", start) > at) {
    shown.replace(start, at - start, "***");
  }
  return shown;
}

}  // namespace

void warn_on_stderr(const std::string& message) { std::cerr << "rankpool: warning: " << message << '\n'; }

std::int64_t parse_post_id(std::string_view text) {
  if (text.empty()) {
    throw InputError("invalid post id '': empty");
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      throw InputError("invalid post id " + shown(text) + ": expected digits only");
    }
  }
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec == std::errc::result_out_of_range) {
    throw InputError("invalid post id " + shown(text) + ": does not fit in 64 bits");
  }
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw InputError("invalid post id " + shown(text) + ": expected digits only");
  }
  if (id <= 0) {
    throw InputError("invalid post id " + shown(text) + ": must be greater than 0");
  }
  return id;
}

std::vector<std::int64_t> parse_mids_text(std::string_view text, std::string_view name) {
  std::vector<std::int64_t> ids;
  std::unordered_set<std::int64_t> seen;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    auto line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) {
      continue;
    }
    std::int64_t id = 0;
    try {
      id = parse_post_id(line);
    } catch (const InputError& e) {
      throw InputError("mids file '" + std::string(name) + "' line " + std::to_string(line_no) + ": " + e.what());
    }
    if (seen.insert(id).second) {
      ids.push_back(id);
    }
  }
  if (ids.empty()) {
    throw InputError("mids file '" + std::string(name) + "': no post ids");
  }
  return ids;
}

std::vector<std::int64_t> parse_mids_file(const std::filesystem::path& file) {
  return parse_mids_text(read_file(file, "mids file", kMaxMidsFileBytes), file.string());
}

std::string validate_api_base(std::string_view url) {
  std::string text(trim(url));
  auto fail = [&](std::string_view why) {
    throw InputError("--api-base " + shown(shown_url(text)) + ": " + std::string(why));
  };
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) fail("contains a control character");
  }
  auto colon = text.find("://");
  if (colon == std::string::npos) {
    fail("expected an http:// or https:// url");
  }
  std::string scheme = text.substr(0, colon);
  for (auto& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme != "http" && scheme != "https") {
    fail("expected an http:// or https:// url");
  }
  CurlUrl parsed;
  if (parsed.handle == nullptr) {
    throw std::bad_alloc();
  }
  if (curl_url_set(parsed.handle, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    fail("not a valid url");
  }
  if (parsed.part(CURLUPART_HOST).empty()) {
    fail("no host");
  }
  if (!parsed.part(CURLUPART_USER).empty() || !parsed.part(CURLUPART_PASSWORD).empty()) {
    fail("user info is not allowed (the token goes in WEIBO_ACCESS_TOKEN)");
  }
  if (!parsed.part(CURLUPART_QUERY).empty() || !parsed.part(CURLUPART_FRAGMENT).empty() ||
      text.find_first_of("?#") != std::string::npos) {
    fail("query and fragment are not allowed");
  }
  while (text.size() > colon + 3 && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

std::string read_access_token(const std::optional<std::filesystem::path>& token_file,
                              const std::function<void(const std::string&)>& warn) {
  if (token_file) {
    auto token = std::string(trim(read_file(*token_file, "token file", kMaxTokenFileBytes, warn)));
    if (token.empty()) {
      throw InputError("token file '" + token_file->string() + "': empty");
    }
    if (token.find_first_of(" \t\r\n") != std::string::npos) {
      throw InputError("token file '" + token_file->string() + "': expected one token, found whitespace inside");
    }
    return token;
  }
  const char* env = std::getenv(kTokenEnv);
  auto token = std::string(trim(env == nullptr ? "" : env));
  if (token.empty()) {
    throw InputError(std::string("no access token: set ") + kTokenEnv + " or pass --token-file");
  }
  return token;
}

}  // namespace rankpool::reposts
