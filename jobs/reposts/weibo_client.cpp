#include "reposts/weibo_client.hpp"

#include <new>
#include <thread>

#include "reposts/detail/transfer.hpp"

namespace rankpool::reposts {

struct WeiboClient::State {
  ClientOptions options;
  CURL* easy = nullptr;
  detail::BodyBudget budget;
  detail::Transfer transfer;
  std::mt19937_64 rng;
  ClientStats stats;

  explicit State(ClientOptions opts)
      : options(detail::checked_options(std::move(opts))), rng(detail::make_rng(options)) {
    budget.limit = options.max_answer_bytes;
    transfer.budget = &budget;
    detail::ensure_curl_global();
    easy = curl_easy_init();
    if (easy == nullptr) {
      throw std::bad_alloc();
    }
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { curl_easy_cleanup(easy); }

  detail::Outcome attempt() {
    transfer.reset();
    // Reset keeps the connection cache, so the next request reuses the socket.
    curl_easy_reset(easy);
    detail::configure(easy, options, transfer);
    if (options.before_request) {
      options.before_request();
    }
    ++stats.requests;
    auto code = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    long connects = 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    stats.connects += static_cast<std::uint64_t>(connects);
    auto outcome = detail::judge(code, status, transfer, options);
    transfer.release();
    return outcome;
  }
};

WeiboClient::WeiboClient(ClientOptions options) : state_(std::make_unique<State>(std::move(options))) {}

WeiboClient::~WeiboClient() = default;
WeiboClient::WeiboClient(WeiboClient&&) noexcept = default;
WeiboClient& WeiboClient::operator=(WeiboClient&&) noexcept = default;

RepostPage WeiboClient::fetch_page(std::int64_t mid, int count, int page) {
  detail::check_page_args(mid, count, page);
  auto& s = *state_;
  s.transfer.url = detail::page_url(s.options, mid, count, page);
  for (int retry = 0;; ++retry) {
    auto outcome = s.attempt();
    switch (outcome.verdict) {
      case detail::Verdict::kOk:
        return std::move(outcome.page);
      case detail::Verdict::kPermanent:
        throw detail::permanent_error(outcome, mid, page);
      case detail::Verdict::kTransient:
      case detail::Verdict::kRateLimited:
        break;
    }
    if (retry >= s.options.max_retries) {
      throw detail::exhausted_error(outcome, retry + 1, mid, page);
    }
    ++s.stats.retries;
    std::this_thread::sleep_for(detail::backoff(s.options, retry, outcome, s.rng));
  }
}

ClientStats WeiboClient::stats() const noexcept {
  ClientStats stats = state_->stats;
  stats.peak_answer_bytes = state_->budget.peak;
  return stats;
}

const ClientOptions& WeiboClient::options() const noexcept { return state_->options; }

}  // namespace rankpool::reposts
