#include "test_support.hpp"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

namespace rankpool::reposts::testing {

MockWeiboOptions quiet_mock() {
  MockWeiboOptions options;
  options.port = 0;
  options.latency_ms = 0;
  options.threads = 16;
  return options;
}

ClientOptions fast_client(const std::string& base_url, const std::string& token) {
  ClientOptions options;
  options.api_base = base_url;
  options.access_token = token;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.timeout = std::chrono::milliseconds(5000);
  options.max_retries = 3;
  options.backoff_initial = std::chrono::milliseconds(1);
  options.rate_limit_backoff = std::chrono::milliseconds(1);
  options.backoff_max = std::chrono::milliseconds(50);
  options.seed = 7;
  return options;
}

namespace {
std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}
}  // namespace

RawAnswer raw_get(const std::string& url, const std::string& header) {
  RawAnswer answer;
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    throw std::runtime_error("curl_easy_init failed");
  }
  curl_slist* headers = nullptr;
  if (!header.empty()) {
    headers = curl_slist_append(headers, header.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &answer.body);
  answer.curl_code = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &answer.status);
  for (auto [name, value] :
       {std::pair{"Retry-After", &answer.retry_after}, std::pair{"Content-Encoding", &answer.content_encoding}}) {
    curl_header* found = nullptr;
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &found) == CURLHE_OK) *value = found->value;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  return answer;
}

int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("unused_port: cannot bind");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace rankpool::reposts::testing
