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

// Anything larger is not a repost page (200 reposts are well under 1 MiB).
constexpr std::size_t kMaxBody = 64u << 20;

constexpr std::string_view kTimelinePath = "/2/statuses/repost_timeline.json";

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  auto bytes = size * count;
  if (transfer.body.size() + bytes > kMaxBody) {
    transfer.too_large = true;
    return 0;
  }
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
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      long seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec == std::errc() && end != value.data() && seconds > 0) {
        transfer.retry_after = std::chrono::seconds(seconds);
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

std::string target(std::int64_t mid, int page) {
  return "id " + std::to_string(mid) + " page " + std::to_string(page);
}

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
    throw std::invalid_argument("weibo client: count must be in 1..200, got " +
                                std::to_string(count));
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
  body.clear();
  error.fill('\0');
  retry_after = std::chrono::seconds(0);
  too_large = false;
}

void configure(CURL* easy, const ClientOptions& options, Transfer& transfer) {
  curl_easy_setopt(easy, CURLOPT_URL, transfer.url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  // Threads and signals do not mix; timeouts still work with the threaded resolver.
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "rankpool-reposts/0.1");
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
      out.verdict = Verdict::permanent;
      out.cause = "answer larger than 64 MiB";
      return out;
    }
    out.verdict = is_permanent_curl_error(code) ? Verdict::permanent : Verdict::transient;
    out.cause = curl_cause(code, transfer, options);
    if (code == CURLE_OPERATION_TIMEDOUT) {
      out.http_status = 0;
    }
    return out;
  }

  auto api_error = parse_weibo_error(transfer.body);
  auto status_text = "HTTP " + std::to_string(http_status);
  if (api_error) {
    out.error_code = api_error->error_code;
    out.cause = describe_code(api_error->error_code, api_error->error, options) + " (error_code " +
                std::to_string(api_error->error_code) + ", " + status_text + ")";
    if (is_rate_limit_code(api_error->error_code)) {
      out.verdict = Verdict::rate_limited;
    } else if (http_status >= 500) {
      out.verdict = Verdict::transient;
    } else {
      out.verdict = Verdict::permanent;
    }
    return out;
  }
  if (http_status == 429) {
    out.verdict = Verdict::rate_limited;
    out.cause = "rate limited (HTTP 429)";
    return out;
  }
  if (http_status >= 500 || http_status == 408) {
    out.verdict = Verdict::transient;
    out.cause = status_text;
    return out;
  }
  if (http_status < 200 || http_status >= 300) {
    out.verdict = Verdict::permanent;
    out.cause = "unexpected " + status_text;
    return out;
  }
  try {
    out.page = parse_repost_page(transfer.body);
    out.verdict = Verdict::ok;
  } catch (const MalformedPage& e) {
    out.verdict = Verdict::transient;
    out.cause = std::string("malformed answer: ") + e.what();
  }
  return out;
}

std::chrono::milliseconds backoff(const ClientOptions& options, int retry, const Outcome& last,
                                  std::mt19937_64& rng) {
  using std::chrono::milliseconds;
  auto first =
      last.verdict == Verdict::rate_limited ? options.rate_limit_backoff : options.backoff_initial;
  auto cap = options.backoff_max.count();
  long long base = first.count();
  for (int i = 0; i < retry && base < cap; ++i) {
    base *= 2;
  }
  base = std::min<long long>(base, cap);
  // Equal jitter: half fixed, half random, so ranks that failed together spread out.
  std::uniform_int_distribution<long long> jitter(0, base / 2);
  auto wait = base - base / 2 + jitter(rng);
  auto asked = std::chrono::duration_cast<milliseconds>(last.retry_after).count();
  return milliseconds(std::min<long long>(std::max<long long>(wait, asked), cap));
}

std::mt19937_64 make_rng(const ClientOptions& options) {
  if (options.seed != 0) {
    return std::mt19937_64(options.seed);
  }
  std::random_device device;
  return std::mt19937_64((static_cast<std::uint64_t>(device()) << 32) ^ device());
}

ApiError permanent_error(const Outcome& outcome, std::int64_t mid, int page) {
  return ApiError("weibo api: " + outcome.cause + " on " + target(mid, page), true,
                  outcome.http_status, outcome.error_code);
}

ApiError exhausted_error(const Outcome& outcome, int attempts, std::int64_t mid, int page) {
  return ApiError("weibo api: gave up on " + target(mid, page) + " after " +
                      std::to_string(attempts) + (attempts == 1 ? " attempt: " : " attempts: ") +
                      outcome.cause,
                  false, outcome.http_status, outcome.error_code);
}

}  // namespace rankpool::reposts::detail
