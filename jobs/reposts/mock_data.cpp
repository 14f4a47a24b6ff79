#include "reposts/mock_data.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace rankpool::reposts {

namespace {

using Json = nlohmann::ordered_json;

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
  return post_time(post_id) + (serial + 1) * 60 +
         static_cast<std::int64_t>(mix(post_id, serial, 0x5ec) % 60);
}

Json mock_user(std::int64_t user_id, std::uint64_t h) {
  static constexpr std::array<const char*, 4> kPlaces = {"北京 海淀区", "上海 浦东新区",
                                                         "广东 深圳", "其他"};
  auto digits = std::to_string(user_id);
  Json user;
  user["id"] = user_id;
  user["idstr"] = digits;
  user["screen_name"] = (h % 3 == 0 ? "微博用户" : "user_") + digits.substr(digits.size() - 6);
  user["name"] = user["screen_name"];
  user["location"] = kPlaces[h % kPlaces.size()];
  user["description"] = h % 5 == 0 ? "" : "a \"mock\" user <for tests> & nothing else";
  user["url"] = "";
  user["profile_image_url"] = "http://tp1.sinaimg.cn/" + digits + "/50/0/1";
  user["gender"] = h % 2 == 0 ? "m" : "f";
  user["followers_count"] = static_cast<std::int64_t>(h % 100000);
  user["friends_count"] = static_cast<std::int64_t>((h >> 20) % 2000);
  user["statuses_count"] = static_cast<std::int64_t>((h >> 32) % 50000);
  user["verified"] = h % 17 == 0;
  return user;
}

std::int64_t user_id_for(std::int64_t post_id, std::int64_t serial, std::uint64_t salt) {
  return 1'000'000'000 + static_cast<std::int64_t>(mix(post_id, serial, salt) % 8'999'999'999ULL);
}

}  // namespace

std::int64_t mock_repost_id(std::int64_t post_id, std::int64_t serial) {
  return post_id + (serial + 1) * kIdStride;
}

std::int64_t expected_repost_id(std::int64_t post_id, std::int64_t total, std::int64_t k) {
  return mock_repost_id(post_id, total - 1 - k);
}

Json mock_repost(std::int64_t post_id, std::int64_t serial) {
  static constexpr std::array<const char*, 3> kSources = {
      R"(<a href="http://app.weibo.com/t/feed/5yiHuw" rel="nofollow">iPhone客户端</a>)",
      R"(<a href="http://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>)",
      R"(<a href="http://app.weibo.com/t/feed/4ACxed" rel="nofollow">Android客户端</a>)"};
  auto h = mix(post_id, serial, 0xabc);
  auto id = mock_repost_id(post_id, serial);
  auto user_id = user_id_for(post_id, serial, 0x05e7);
  std::string text;
  switch (h % 4) {
    case 0:
      text = "转发微博";
      break;
    case 1:
      text = "//@user_" + std::to_string(h % 1000000) + ": 转发微博";
      break;
    case 2:
      text = "repost " + std::to_string(serial) + " of " + std::to_string(post_id) +
             ": \"quoted\" & <b>tagged</b>\n2nd line";
      break;
    default:
      text = "哈哈哈[doge] http://t.cn/A6" + std::to_string(h % 100000);
      break;
  }

  Json original;
  original["created_at"] = weibo_time(post_time(post_id));
  original["id"] = post_id;
  original["idstr"] = std::to_string(post_id);
  original["mid"] = std::to_string(post_id);
  original["text"] = "original post " + std::to_string(post_id);
  original["user"] = mock_user(user_id_for(post_id, -1, 0x0a), mix(post_id, -1, 0x0b));

  Json status;
  status["created_at"] = weibo_time(repost_time(post_id, serial));
  status["id"] = id;
  status["idstr"] = std::to_string(id);
  status["mid"] = std::to_string(id);
  status["text"] = text;
  status["source"] = kSources[(h >> 8) % kSources.size()];
  status["favorited"] = false;
  status["truncated"] = false;
  status["in_reply_to_status_id"] = "";
  status["geo"] = nullptr;
  status["reposts_count"] = static_cast<std::int64_t>((h >> 12) % 10 == 0 ? (h >> 16) % 50 : 0);
  status["comments_count"] = static_cast<std::int64_t>((h >> 24) % 5);
  status["attitudes_count"] = static_cast<std::int64_t>((h >> 28) % 20);
  status["user"] = mock_user(user_id, mix(post_id, serial, 0x05e8));
  status["retweeted_status"] = std::move(original);
  return status;
}

std::string mock_page_body(const MockPageQuery& query) {
  auto limit = std::min(query.total, query.reachable);
  auto first = (query.page - 1) * query.count;
  auto end = std::min(limit, first + query.count);
  Json reposts = Json::array();
  for (auto k = first; k < end; ++k) {
    reposts.push_back(mock_repost(query.post_id, query.total - 1 - k));
  }
  Json body;
  body["reposts"] = std::move(reposts);
  body["hasvisible"] = false;
  body["previous_cursor"] = 0;
  body["next_cursor"] =
      first < end && end < limit ? expected_repost_id(query.post_id, query.total, end) : 0;
  body["total_number"] = query.total;
  body["interval"] = 0;
  return body.dump();
}

std::string mock_error_body(int error_code, std::string_view error, std::string_view request_path) {
  Json body;
  body["error"] = error;
  body["error_code"] = error_code;
  body["request"] = request_path;
  return body.dump();
}

std::string weibo_time(std::int64_t unix_seconds) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto local = static_cast<std::time_t>(unix_seconds + kChinaOffset);
  std::tm tm{};
  gmtime_r(&local, &tm);
  std::array<char, 40> out{};
  std::snprintf(out.data(), out.size(), "%s %s %02d %02d:%02d:%02d +0800 %04d", kDays[tm.tm_wday],
                kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                tm.tm_year + 1900);
  return out.data();
}

}  // namespace rankpool::reposts
