#pragma once
// Helpers shared by the reposts unit tests.

#include <chrono>
#include <cstdint>
#include <string>

#include "reposts/client_options.hpp"
#include "reposts/mock_options.hpp"

namespace rankpool::reposts::testing {

/// Mock options for tests: port 0, no latency, small thread pool.
MockWeiboOptions quiet_mock();

/// Client options for tests against `base_url`: short timeouts, 1 ms backoffs.
ClientOptions fast_client(const std::string& base_url, const std::string& token = "test-token");

/// One plain GET (no retries), 5 s limit.
struct RawAnswer {
  int curl_code = 0;
  long status = 0;
  std::string body;
  std::string retry_after;       ///< the Retry-After header, "" if none
  std::string content_encoding;  ///< the Content-Encoding header, "" if none
};
RawAnswer raw_get(const std::string& url, const std::string& header = {});

/// A port nothing listens on (bound, then released).
int unused_port();

/// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace rankpool::reposts::testing
