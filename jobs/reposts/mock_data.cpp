#include "reposts/mock_data.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace rankpool::reposts {

namespace {

// 2014-01-07 12:00:00 +0800, the era of the original scraper.
constexpr std::int64_t kEpoch = 1389067200;
constexpr std::int64_t kChinaOffset = std::int64_t{8} * 3600;
constexpr std::int64_t kIdStride = std::int64_t{1} << 32;

std::uint64_t mix(std::uint64_t x) {
  // splitmix64 finalizer: cheap, and every input bit moves every output bit.
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t mix(std::int64_t post_id, std::int64_t serial, std::uint64_t salt) {
  return mix(mix(static_cast<std::uint64_t>(post_id) ^ salt) + static_cast<std::uint64_t>(serial));
}

std::int64_t post_time(std::int64_t post_id) {
  return kEpoch + static_cast<std::int64_t>(mix(post_id, 0, 0x7417) % (365ULL * 86400ULL));
}

std::int64_t repost_time(std::int64_t post_id, std::int64_t serial) {
  // Strictly increasing in serial: one repost per minute, at a varying second.
  return post_time(post_id) + (serial + 1) * 60 + static_cast<std::int64_t>(mix(post_id, serial, 0x5ec) % 60);
}

// JSON's two-character escape of `c` (`\n` for a newline), or "" if it has none.
std::string_view short_escape(unsigned char c) {
  static constexpr std::string_view kEscaped = "\"\\\b\f\n\r\t";
  static constexpr std::array<std::string_view, 7> kEscapes = {"\\\"", "\\\\", "\\b", "\\f", "\\n", "\\r", "\\t"};
  const auto at = kEscaped.find(static_cast<char>(c));
  return at == std::string_view::npos ? std::string_view{} : kEscapes[at];
}

// Appends `text` as a JSON string, escaped as nlohmann's dump() does: the
// short escapes, other control characters as \u00XX, the rest as is.
void put_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    if (const std::string_view escape = short_escape(c); !escape.empty()) {
      out.append(escape);
    } else {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(text.substr(plain));
  out.push_back('"');
}

// `"key":` (keys are plain ASCII).
void put_key(std::string& out, std::string_view key, bool first = false) {
  if (!first) out.push_back(',');
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void put_int(std::string& out, std::int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void put_user(std::string& out, std::int64_t user_id, std::uint64_t h) {
  static constexpr std::array<const char*, 4> kPlaces = {"北京 海淀区", "上海 浦东新区", "广东 深圳", "其他"};
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, user_id);
  const std::string_view id_text(digits, static_cast<std::size_t>(end - digits));
  std::string screen_name = h % 3 == 0 ? "微博用户" : "user_";
  screen_name.append(id_text.substr(id_text.size() - 6));
  out.push_back('{');
  put_key(out, "id", true);
  out.append(id_text);
  put_key(out, "idstr");
  put_string(out, id_text);
  put_key(out, "screen_name");
  put_string(out, screen_name);
  put_key(out, "name");
  put_string(out, screen_name);
  put_key(out, "location");
  put_string(out, kPlaces[h % kPlaces.size()]);
  put_key(out, "description");
  put_string(out, h % 5 == 0 ? "" : "a \"mock\" user <for tests> & nothing else");
  put_key(out, "url");
  put_string(out, "");
  put_key(out, "profile_image_url");
  out.append("\"http://tp1.sinaimg.cn/");
  out.append(id_text);
  out.append("/50/0/1\"");
  put_key(out, "gender");
  put_string(out, h % 2 == 0 ? "m" : "f");
  put_key(out, "followers_count");
  put_int(out, static_cast<std::int64_t>(h % 100000));
  put_key(out, "friends_count");
  put_int(out, static_cast<std::int64_t>((h >> 20) % 2000));
  put_key(out, "statuses_count");
  put_int(out, static_cast<std::int64_t>((h >> 32) % 50000));
  put_key(out, "verified");
  out.append(h % 17 == 0 ? "true" : "false");
  out.push_back('}');
}

// How every status object starts: `"created_at":"...","id":N,"idstr":"N","mid":"N"`.
void put_status_head(std::string& out, std::int64_t created_at, std::int64_t id) {
  put_key(out, "created_at", true);
  put_string(out, weibo_time(created_at));
  put_key(out, "id");
  put_int(out, id);
  for (const std::string_view key : {"idstr", "mid"}) {
    put_key(out, key);
    out.push_back('"');
    put_int(out, id);
    out.push_back('"');
  }
}

std::int64_t user_id_for(std::int64_t post_id, std::int64_t serial, std::uint64_t salt) {
  return 1'000'000'000 + static_cast<std::int64_t>(mix(post_id, serial, salt) % 8'999'999'999ULL);
}

}  // namespace

std::int64_t mock_repost_id(std::int64_t post_id, std::int64_t serial) { return post_id + (serial + 1) * kIdStride; }

std::int64_t expected_repost_id(std::int64_t post_id, std::int64_t total, std::int64_t k) {
  return mock_repost_id(post_id, total - 1 - k);
}

namespace {

// The text of a repost: one of four kinds, by its hash.
std::string repost_text(std::uint64_t h, std::int64_t post_id, std::int64_t serial) {
  switch (h % 4) {
    case 0:
      return "转发微博";
    case 1:
      return "//@user_" + std::to_string(h % 1000000) + ": 转发微博";
    case 2:
      return "repost " + std::to_string(serial) + " of " + std::to_string(post_id) +
             ": \"quoted\" & <b>tagged</b>\n2nd line";
    default:
      return "哈哈哈[doge] http://t.cn/A6" + std::to_string(h % 100000);
  }
}

// The original post a repost carries, closing the repost's object too.
void put_retweeted_status(std::string& out, std::int64_t post_id) {
  put_key(out, "retweeted_status");
  out.push_back('{');
  put_status_head(out, post_time(post_id), post_id);
  put_key(out, "text");
  out.append("\"original post ");
  put_int(out, post_id);
  out.push_back('"');
  put_key(out, "user");
  put_user(out, user_id_for(post_id, -1, 0x0a), mix(post_id, -1, 0x0b));
  out.append("}}");
}

}  // namespace

void append_mock_repost(std::string& out, std::int64_t post_id, std::int64_t serial, const MockQuirks& quirks) {
  static constexpr std::array<const char*, 3> kSources = {
      R"(<a href="http://app.weibo.com/t/feed/5yiHuw" rel="nofollow">iPhone客户端</a>)",
      R"(<a href="http://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>)",
      R"(<a href="http://app.weibo.com/t/feed/4ACxed" rel="nofollow">Android客户端</a>)"};
  auto h = mix(post_id, serial, 0xabc);
  out.push_back('{');
  put_status_head(out, repost_time(post_id, serial), mock_repost_id(post_id, serial));
  put_key(out, "text");
  put_string(out, repost_text(h, post_id, serial));
  if (quirks.bad_text) {
    // Not UTF-8 (a stray byte, an encoded surrogate) and an escaped lone surrogate.
    put_key(out, "bad_text");
    out.append("\"stray \xFF byte, surrogate \xED\xA0\x80 bytes, lone \\ud800 escape\"");
  }
  put_key(out, "source");
  put_string(out, kSources[(h >> 8) % kSources.size()]);
  put_key(out, "favorited");
  out.append("false");
  put_key(out, "truncated");
  out.append("false");
  put_key(out, "in_reply_to_status_id");
  put_string(out, "");
  put_key(out, "geo");
  out.append("null");
  put_key(out, "reposts_count");
  put_int(out, static_cast<std::int64_t>((h >> 12) % 10 == 0 ? (h >> 16) % 50 : 0));
  put_key(out, "comments_count");
  put_int(out, static_cast<std::int64_t>((h >> 24) % 5));
  put_key(out, "attitudes_count");
  put_int(out, static_cast<std::int64_t>((h >> 28) % 20));
  if (quirks.odd_numbers) {
    // Numbers a re-serializing client would change.
    put_key(out, "score");
    out.append("1E2");
    put_key(out, "big_number");
    out.append("123456789012345678901234567890");
    put_key(out, "ratio");
    out.append("-0.50e-3");
  }
  put_key(out, "user");
  put_user(out, user_id_for(post_id, serial, 0x05e7), mix(post_id, serial, 0x05e8));
  put_retweeted_status(out, post_id);
}

nlohmann::ordered_json mock_repost(std::int64_t post_id, std::int64_t serial) {
  std::string text;
  append_mock_repost(text, post_id, serial);
  return nlohmann::ordered_json::parse(text);
}

std::int64_t mock_page_pages(const MockPageQuery& query) {
  const auto limit = std::min(query.total, query.reachable);
  return limit / query.count + (limit % query.count != 0 ? 1 : 0);
}

std::string mock_page_body(const MockPageQuery& query) {
  const auto limit = std::min(query.total, query.reachable);
  auto page = query.page;
  if (query.quirks.out_of_order && page <= mock_page_pages(query)) page = mock_page_pages(query) + 1 - page;
  const auto first = (page - 1) * query.count;
  const auto end = std::min(limit, first + query.count);
  std::string body;
  body.reserve(static_cast<std::size_t>(std::max<std::int64_t>(end - first, 0)) * 1400 + 128);
  body.append("{\"reposts\":[");
  for (auto i = first; i < end; ++i) {
    // Out of order: each page's reposts oldest first.
    const auto k = query.quirks.out_of_order ? end - 1 - (i - first) : i;
    if (i != first) body.push_back(',');
    MockQuirks quirks = query.quirks;
    quirks.bad_text = query.quirks.bad_text && i == first;
    append_mock_repost(body, query.post_id, query.total - 1 - k, quirks);
  }
  body.append("],\"hasvisible\":false,\"previous_cursor\":0,\"next_cursor\":");
  put_int(body, first < end && end < limit ? expected_repost_id(query.post_id, query.total, end) : 0);
  body.append(",\"total_number\":");
  put_int(body, query.total);
  body.append(",\"interval\":0}");
  return body;
}

std::string mock_error_body(int error_code, std::string_view error, std::string_view request_path) {
  std::string body = "{";
  put_key(body, "error", true);
  put_string(body, error);
  put_key(body, "error_code");
  put_int(body, error_code);
  put_key(body, "request");
  put_string(body, request_path);
  body.push_back('}');
  return body;
}

std::string weibo_time(std::int64_t unix_seconds) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto local = static_cast<std::time_t>(unix_seconds + kChinaOffset);
  std::tm tm{};
  gmtime_r(&local, &tm);
  std::array<char, 40> out{};
  std::snprintf(out.data(), out.size(), "%s %s %02d %02d:%02d:%02d +0800 %04d", kDays[tm.tm_wday], kMonths[tm.tm_mon],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
  return out.data();
}

}  // namespace rankpool::reposts
