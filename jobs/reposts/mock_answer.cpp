#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>
#include <utility>

#include "reposts/detail/mock_impl.hpp"
#include "reposts/errors.hpp"
#include "reposts/inputs.hpp"
#include "reposts/paging.hpp"

namespace rankpool::reposts {

namespace {

// `token` as a server that echoes it might write it.
std::string echoed(std::string_view token, const std::string& mode) {
  if (mode == "raw") return std::string(token);
  const char* hex = mode == "upper" ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (char ch : token) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ' && mode == "plus") {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

std::optional<std::int64_t> parse_int(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string token_of(const httplib::Request& req) {
  auto token = req.get_param_value("access_token");
  if (token.empty()) {
    // Weibo also takes the token as "Authorization: OAuth2 <token>".
    auto header = req.get_header_value("Authorization");
    constexpr std::string_view kScheme = "OAuth2 ";
    if (header.rfind(kScheme, 0) == 0) {
      token = header.substr(kScheme.size());
    }
  }
  return token;
}

}  // namespace

MockWeiboServer::Impl::Answer MockWeiboServer::Impl::error(int status, int code, const std::string& text,
                                                           std::atomic<std::uint64_t>& counter) {
  ++counter;
  return Answer{status, std::make_shared<const std::string>(mock_error_body(code, text, kTimelinePath))};
}

MockWeiboServer::Impl::Answer MockWeiboServer::Impl::answer(const httplib::Request& req) {
  auto token = token_of(req);
  if (!options_.echo_token.empty()) {
    return error(400, 10008, "param error: access_token " + echoed(token, options_.echo_token) + " is not accepted",
                 bad_requests_);
  }
  if (token.empty() || (!options_.token.empty() && token != options_.token)) {
    return error(403, 21332, "invalid_access_token", auth_errors_);
  }
  if (!req.has_param("id")) {
    return error(400, 10016, "miss required parameter (id), see doc for more info.", bad_requests_);
  }
  auto id_text = req.get_param_value("id");
  std::int64_t id = 0;
  try {
    id = parse_post_id(id_text);
  } catch (const InputError&) {
    id = 0;
  }
  if (id <= 0 || id > kMockMaxPostId) {
    return error(400, 10017,
                 "parameter (id)'s value invalid,expect (int64 > 0), but get (" + id_text.substr(0, 32) +
                     "), see doc for more info.",
                 bad_requests_);
  }
  std::int64_t count = 20;
  std::int64_t page = 1;
  if (auto refused = read_paging(req, count, page)) return std::move(*refused);
  if (missing_ids_.count(id) != 0) {
    return error(400, 20101, "target weibo does not exist!", missing_);
  }
  count = std::clamp<std::int64_t>(count, 1, kMaxCount);
  page = std::clamp<std::int64_t>(page, 1, kMaxPage);
  if (over_rate_limit(token)) {
    auto refused = error(403, 10023, "User requests out of rate limit!", rate_limited_);
    refused.rate_limited = true;
    return refused;
  }
  ++pages_;
  MockPageQuery query;
  query.post_id = id;
  query.total = total_now(id);
  query.reachable = options_.reachable;
  query.count = static_cast<int>(count);
  query.page = page;
  query.quirks.out_of_order = options_.out_of_order;
  query.quirks.bad_text = options_.bad_text;
  query.quirks.odd_numbers = options_.odd_numbers;
  return Answer{200, cache_.get(query), true};
}

std::optional<MockWeiboServer::Impl::Answer> MockWeiboServer::Impl::read_paging(const httplib::Request& req,
                                                                                std::int64_t& count,
                                                                                std::int64_t& page) {
  for (auto [name, value] : {std::pair{"count", &count}, std::pair{"page", &page}}) {
    if (!req.has_param(name)) {
      continue;
    }
    auto parsed = parse_int(req.get_param_value(name));
    if (!parsed) {
      return error(400, 10017,
                   std::string("parameter (") + name + ")'s value invalid,expect (int), but get (" +
                       req.get_param_value(name).substr(0, 32) + "), see doc for more info.",
                   bad_requests_);
    }
    *value = *parsed;
  }
  return std::nullopt;
}

bool MockWeiboServer::Impl::over_rate_limit(const std::string& token) {
  if (options_.rate_limit == 0) {
    return false;
  }
  auto now = Clock::now();
  auto window = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.rate_window_s));
  std::lock_guard lock(state_mutex_);
  auto& times = windows_[token];
  while (!times.empty() && now - times.front() >= window) {
    times.pop_front();
  }
  // Refused requests do not count: a client that backs off gets through.
  if (times.size() >= static_cast<std::size_t>(options_.rate_limit)) {
    return true;
  }
  times.push_back(now);
  if (times.size() > busiest_window_.load()) busiest_window_.store(times.size());
  return false;
}

std::int64_t MockWeiboServer::Impl::total_now(std::int64_t post_id) {
  if (options_.new_reposts_per_request == 0) {
    return options_.total;
  }
  std::int64_t before = 0;
  {
    std::lock_guard lock(state_mutex_);
    before = post_requests_[post_id]++;
  }
  auto grown = static_cast<double>(options_.total) +
               static_cast<double>(options_.new_reposts_per_request) * static_cast<double>(before);
  return grown >= static_cast<double>(kMockMaxReposts) ? kMockMaxReposts
                                                       : options_.total + options_.new_reposts_per_request * before;
}

}  // namespace rankpool::reposts
