#include "reposts/reposts_job.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "reposts/rate_limiter.hpp"
#include "reposts/weibo_client.hpp"

namespace rankpool::reposts {

namespace {

/// One client per worker process, kept across tasks and jobs so its
/// connection stays alive; rebuilt only when the settings change.
struct SharedClient {
  std::string key;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<WeiboClient> client;
};

WeiboClient& shared_client(const RepostsJob& job) {
  static SharedClient shared;
  const std::string key = job.api_base + '\n' + job.access_token + '\n' + std::to_string(job.connect_timeout_ms) +
                          '\n' + std::to_string(job.timeout_ms) + '\n' + std::to_string(job.max_retries) + '\n' +
                          job.ca_file + '\n' + std::to_string(job.rps_per_worker);
  if (!shared.client || shared.key != key) {
    ClientOptions options;
    options.api_base = job.api_base;
    options.access_token = job.access_token;
    options.connect_timeout = std::chrono::milliseconds(job.connect_timeout_ms);
    options.timeout = std::chrono::milliseconds(job.timeout_ms);
    options.max_retries = job.max_retries;
    options.ca_file = job.ca_file;
    shared.limiter = job.rps_per_worker > 0 ? std::make_unique<RateLimiter>(job.rps_per_worker) : nullptr;
    if (shared.limiter) options.before_request = [limiter = shared.limiter.get()] { limiter->acquire(); };
    shared.client = std::make_unique<WeiboClient>(std::move(options));
    shared.key = key;
  }
  return *shared.client;
}

}  // namespace

std::string RepostsJob::operator()(std::uint64_t index) const {
  const auto& [post, page] = pages.at(index);
  WeiboClient& client = shared_client(*this);
  const ClientStats before = client.stats();
  const RepostPage result = client.fetch_page(mids.at(post), count, static_cast<int>(page));
  const ClientStats after = client.stats();
  std::string out = nlohmann::json{{"total", result.total_number},
                                   {"requests", after.requests - before.requests},
                                   {"retries", after.retries - before.retries}}
                        .dump();
  out += '\n';
  for (const Repost& repost : result.reposts) {
    out += std::to_string(repost.id);
    out += '\t';
    out += repost.json;
    out += '\n';
  }
  return out;
}

PageResult parse_page_result(std::string_view payload) {
  PageResult out;
  const auto header_end = payload.find('\n');
  const auto header = nlohmann::json::parse(payload.substr(0, header_end));
  out.total = header.at("total").get<std::int64_t>();
  out.requests = header.at("requests").get<std::uint64_t>();
  out.retries = header.at("retries").get<std::uint64_t>();
  std::size_t at = header_end == std::string_view::npos ? payload.size() : header_end + 1;
  while (at < payload.size()) {
    auto end = payload.find('\n', at);
    if (end == std::string_view::npos) end = payload.size();
    const std::string_view line = payload.substr(at, end - at);
    const auto tab = line.find('\t');
    std::int64_t id = 0;
    if (tab == std::string_view::npos || std::from_chars(line.data(), line.data() + tab, id).ec != std::errc())
      throw std::runtime_error("reposts: malformed page result");
    out.reposts.emplace_back(id, line.substr(tab + 1));
    at = end + 1;
  }
  return out;
}

}  // namespace rankpool::reposts
