#include "reposts/detail/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "reposts/inputs.hpp"
#include "reposts/paging.hpp"
#include "reposts/redact.hpp"

namespace rankpool::reposts::detail {

namespace {

constexpr std::string_view kTimelinePath = "/2/statuses/repost_timeline.json";

constexpr long kReceiveBuffer = 256L << 10;

// A body keeps its buffer for the next request up to this size.
constexpr std::size_t kKeepBody = std::size_t{1} << 20;

// Makes room for `need` bytes (and the parser's padding) within the budget.
// Returns false when the transfer must wait for other transfers' bytes.
//
// An answer with a Content-Length reserves all of it before its first byte
// is kept, or waits holding nothing: whoever holds bytes can finish, so such
// transfers never wait on each other in a circle. Answers of unknown length
// grow by doubling; if they all end up waiting, the fetcher restarts one.
bool grow(Transfer& transfer, std::size_t need) {
  auto& budget = *transfer.budget;
  const std::size_t wanted = need + kParsePadding;
  const std::size_t capacity = transfer.body.capacity();
  if (wanted <= capacity && transfer.charged == capacity) return true;
  const std::size_t others = budget.used - transfer.charged;
  const std::size_t room = budget.limit + kParsePadding;
  curl_off_t announced = -1;
  if (transfer.easy != nullptr) curl_easy_getinfo(transfer.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
  std::size_t target = capacity;
  if (announced > 0 && static_cast<std::uint64_t>(announced) <= budget.limit &&
      need <= static_cast<std::uint64_t>(announced)) {
    target = std::max(capacity, static_cast<std::size_t>(announced) + kParsePadding);
  } else if (wanted > capacity) {
    target = std::max(wanted, std::min(capacity * 2, room));
    if (others + target > room) target = wanted;
  }
  if (others > 0 && others + target > room) return false;
  if (target > capacity) {
    // A fresh string gets exactly what it reserves (growing one may double).
    std::string bigger;
    bigger.reserve(target);
    bigger.append(transfer.body);
    transfer.body.swap(bigger);
  }
  transfer.charged = transfer.body.capacity();
  budget.used = others + transfer.charged;
  budget.peak = std::max(budget.peak, budget.used);
  return true;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  auto bytes = size * count;
  const std::size_t need = transfer.body.size() + bytes;
  if (need > transfer.budget->limit) {
    transfer.too_large = true;
    return 0;
  }
  if (!grow(transfer, need)) {
    // curl keeps these bytes and offers them again after curl_easy_pause(CONT).
    transfer.paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  transfer.paused = false;
  transfer.body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  auto bytes = size * count;
  std::string_view line(data, bytes);
  constexpr std::string_view kKey = "retry-after:";
  if (line.size() > kKey.size()) {
    bool match = true;
    for (std::size_t i = 0; i < kKey.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kKey[i];
    }
    if (match) {
      auto value = line.substr(kKey.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      // Seconds only (an HTTP date is ignored); any count past the cap is the cap.
      std::uint64_t seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      const auto cap = static_cast<std::uint64_t>(kMaxRetryAfter.count());
      if (end != value.data() && (ec == std::errc::result_out_of_range || (ec == std::errc() && seconds > cap))) {
        transfer.retry_after = kMaxRetryAfter;
      } else if (ec == std::errc() && end != value.data() && seconds > 0) {
        transfer.retry_after = std::chrono::seconds(static_cast<std::int64_t>(seconds));
      }
    }
  }
  return bytes;
}

bool is_rate_limit_code(int code) { return code == 10022 || code == 10023 || code == 10024; }

// Words for the Weibo error codes a user of this job is likely to meet.
std::string describe_code(int code, const std::string& api_text, const ClientOptions& options) {
  switch (code) {
    case 10006:
      return "missing app key";
    case 10014:
      return "no permission for this api";
    case 10016:
      return "missing parameter";
    case 10017:
      return "invalid parameter";
    case 10020:
      return "unknown api";
    case 10022:
      return "ip requests out of rate limit";
    case 10023:
      return "user requests out of rate limit";
    case 10024:
      return "user requests for this api out of rate limit";
    case 20101:
      return "post does not exist";
    case 21301:
      return "authentication failed";
    case 21314:
    case 21315:
    case 21316:
    case 21317:
    case 21327:
      return "access token expired or revoked";
    case 21332:
      return "invalid access token";
    default:
      break;
  }
  auto text = redact_secret(api_text, options.access_token);
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  constexpr std::size_t kMax = 120;
  if (text.size() > kMax) {
    text = text.substr(0, kMax) + "...";
  }
  return text.empty() ? "api error" : text;
}

std::string curl_cause(CURLcode code, const Transfer& transfer, const ClientOptions& options) {
  std::string text = transfer.error.data();
  if (text.empty()) {
    text = curl_easy_strerror(code);
  }
  return redact_secret(text, options.access_token);
}

bool is_permanent_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_OUT_OF_MEMORY:
      return true;
    default:
      return false;
  }
}

std::string target(std::int64_t mid, int page) { return "id " + std::to_string(mid) + " page " + std::to_string(page); }

}  // namespace

void ensure_curl_global() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("weibo client: curl_global_init failed");
    }
  });
}

ClientOptions checked_options(ClientOptions options) {
  options.api_base = validate_api_base(options.api_base);
  if (options.access_token.empty()) {
    throw std::invalid_argument("weibo client: empty access token");
  }
  if (options.connect_timeout.count() <= 0 || options.timeout.count() <= 0) {
    throw std::invalid_argument("weibo client: timeouts must be > 0 ms");
  }
  if (options.max_answer_bytes < 1) {
    throw std::invalid_argument("weibo client: max_answer_bytes must be >= 1");
  }
  if (options.max_retries < 0) {
    throw std::invalid_argument("weibo client: max_retries must be >= 0");
  }
  if (options.backoff_initial.count() < 0 || options.rate_limit_backoff.count() < 0 ||
      options.backoff_max.count() < 0) {
    throw std::invalid_argument("weibo client: backoffs must be >= 0 ms");
  }
  return options;
}

void check_page_args(std::int64_t mid, int count, int page) {
  if (mid <= 0) {
    throw std::invalid_argument("weibo client: post id must be > 0, got " + std::to_string(mid));
  }
  if (count < 1 || count > kMaxCount) {
    throw std::invalid_argument("weibo client: count must be in 1..200, got " + std::to_string(count));
  }
  if (page < 1) {
    throw std::invalid_argument("weibo client: page must be >= 1, got " + std::to_string(page));
  }
}

std::string page_url(const ClientOptions& options, std::int64_t mid, int count, int page) {
  const auto& base = options.api_base;
  std::string url;
  url.reserve(base.size() + kTimelinePath.size() + 96 + options.access_token.size() * 3);
  url += base;
  url += kTimelinePath;
  url += "?id=" + std::to_string(mid);
  url += "&count=" + std::to_string(count);
  url += "&page=" + std::to_string(page);
  url += "&access_token=" + url_encode(options.access_token);
  return url;
}

void Transfer::reset() {
  release();
  body.clear();
  error.fill('\0');
  retry_after = std::chrono::seconds(0);
  too_large = false;
  paused = false;
}

void Transfer::release() {
  if (body.capacity() > kKeepBody) {
    std::string().swap(body);
  } else {
    body.clear();
  }
  if (budget != nullptr) budget->used -= charged;
  charged = 0;
}

void configure(CURL* easy, const ClientOptions& options, Transfer& transfer) {
  transfer.easy = easy;
  curl_easy_setopt(easy, CURLOPT_URL, transfer.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  // Threads and signals do not mix; timeouts still work with the threaded resolver.
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "rankpool-reposts/0.1");
  // A page is about 250 KiB: a large receive buffer reads it in a few calls.
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBuffer);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error.data());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
}

Outcome judge(CURLcode code, long http_status, Transfer& transfer, const ClientOptions& options) {
  Outcome out;
  out.http_status = static_cast<int>(http_status);
  out.retry_after = transfer.retry_after;
  if (code != CURLE_OK) {
    if (transfer.too_large) {
      out.verdict = Verdict::kPermanent;
      out.cause = "answer larger than " + std::to_string(transfer.budget->limit) + " bytes";
      return out;
    }
    out.verdict = is_permanent_curl_error(code) ? Verdict::kPermanent : Verdict::kTransient;
    out.cause = curl_cause(code, transfer, options);
    if (code == CURLE_OPERATION_TIMEDOUT) {
      out.http_status = 0;
    }
    return out;
  }

  auto status_text = "HTTP " + std::to_string(http_status);
  auto weibo_error = [&](const WeiboErrorBody& api_error) {
    out.error_code = api_error.error_code;
    out.cause = describe_code(api_error.error_code, api_error.error, options) + " (error_code " +
                std::to_string(api_error.error_code) + ", " + status_text + ")";
    if (is_rate_limit_code(api_error.error_code)) {
      out.verdict = Verdict::kRateLimited;
    } else if (http_status >= 500) {
      out.verdict = Verdict::kTransient;
    } else {
      out.verdict = Verdict::kPermanent;
    }
    return out;
  };
  if (http_status >= 200 && http_status < 300) {
    try {
      out.page = parse_repost_page_in_place(transfer.body);
      out.verdict = Verdict::kOk;
    } catch (const MalformedPage& e) {
      // An error body sent with 2xx is still an error body.
      if (auto api_error = parse_weibo_error(transfer.body)) return weibo_error(*api_error);
      out.verdict = Verdict::kTransient;
      out.cause = std::string("malformed answer: ") + e.what();
    }
    return out;
  }
  if (auto api_error = parse_weibo_error(transfer.body)) return weibo_error(*api_error);
  if (http_status == 429) {
    out.verdict = Verdict::kRateLimited;
    out.cause = "rate limited (HTTP 429)";
    return out;
  }
  if (http_status >= 500 || http_status == 408) {
    out.verdict = Verdict::kTransient;
    out.cause = status_text;
    return out;
  }
  out.verdict = Verdict::kPermanent;
  out.cause = "unexpected " + status_text;
  return out;
}

std::chrono::milliseconds backoff(const ClientOptions& options, int retry, const Outcome& last, std::mt19937_64& rng) {
  using std::chrono::milliseconds;
  // Every figure bounded before any arithmetic: the options by a year, the
  // server's Retry-After by the cap, so nothing here can overflow.
  constexpr long long kYearMs = 365LL * 24 * 3600 * 1000;
  auto first = last.verdict == Verdict::kRateLimited ? options.rate_limit_backoff : options.backoff_initial;
  const long long cap = std::clamp<long long>(options.backoff_max.count(), 0, kYearMs);
  long long base = std::clamp<long long>(first.count(), 0, kYearMs);
  for (int i = 0; i < retry && base < cap; ++i) {
    base *= 2;
  }
  base = std::min<long long>(base, cap);
  // Equal jitter: half fixed, half random, so ranks that failed together spread out.
  std::uniform_int_distribution<long long> jitter(0, base / 2);
  auto wait = base - base / 2 + jitter(rng);
  const long long asked_seconds = std::clamp<long long>(last.retry_after.count(), 0, cap / 1000 + 1);
  return milliseconds(std::min<long long>(std::max<long long>(wait, asked_seconds * 1000), cap));
}

std::mt19937_64 make_rng(const ClientOptions& options) {
  if (options.seed != 0) {
    return std::mt19937_64(options.seed);
  }
  std::random_device device;
  return std::mt19937_64((static_cast<std::uint64_t>(device()) << 32) ^ device());
}

ApiError permanent_error(const Outcome& outcome, std::int64_t mid, int page) {
  return ApiError("weibo api: " + outcome.cause + " on " + target(mid, page), true, outcome.http_status,
                  outcome.error_code);
}

ApiError exhausted_error(const Outcome& outcome, int attempts, std::int64_t mid, int page) {
  return ApiError("weibo api: gave up on " + target(mid, page) + " after " + std::to_string(attempts) +
                      (attempts == 1 ? " attempt: " : " attempts: ") + outcome.cause,
                  false, outcome.http_status, outcome.error_code);
}

}  // namespace rankpool::reposts::detail
