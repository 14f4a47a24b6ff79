#include <string>
#include <utility>

#include "rankpool/errors.hpp"
#include "reposts/detail/mock_impl.hpp"

namespace rankpool::reposts {

namespace {

void check(bool ok, const std::string& message) {
  if (!ok) {
    throw UsageError("mock-weibo: " + message);
  }
}

}  // namespace

MockWeiboOptions validated_mock_options(MockWeiboOptions o) {
  check(!o.host.empty(), "--host is empty");
  check(o.port >= 0 && o.port <= 65535, "--port must be in 0..65535");
  check(o.total >= 0 && o.total <= kMockMaxReposts, "--total must be in 0.." + std::to_string(kMockMaxReposts));
  check(o.reachable >= 0, "--reachable must be >= 0");
  check(o.new_reposts_per_request >= 0, "--new-reposts-per-request must be >= 0");
  check(o.latency_ms >= 0 && o.jitter_ms >= 0, "--latency-ms and --jitter-ms must be >= 0");
  for (auto [rate, name] : {std::pair{o.fail_rate, "--fail-rate"}, std::pair{o.truncate_rate, "--truncate-rate"},
                            std::pair{o.stall_rate, "--stall-rate"}, std::pair{o.reset_rate, "--reset-rate"}}) {
    check(rate >= 0.0 && rate <= 1.0, std::string(name) + " must be in 0..1");
  }
  check(o.fail_rate + o.truncate_rate + o.stall_rate + o.reset_rate <= 1.0 + 1e-9, "fault rates add up to more than 1");
  check(o.stall_ms >= 0, "--stall-ms must be >= 0");
  check(o.rate_limit >= 0, "--rate-limit must be >= 0");
  check(o.rate_limit == 0 || o.rate_window_s > 0.0, "--rate-window must be > 0");
  check(o.tls_cert.empty() == o.tls_key.empty(), "--tls-cert and --tls-key go together");
  check(o.threads >= 1 && o.threads <= 4096, "--threads must be in 1..4096");
  check(o.pad_bytes >= 0 && o.pad_bytes <= (std::int64_t{1} << 30), "--pad-bytes must be in 0..1073741824");
  check(o.echo_token.empty() || o.echo_token == "raw" || o.echo_token == "lower" || o.echo_token == "upper" ||
            o.echo_token == "plus",
        "--echo-token must be raw, lower, upper or plus");
  for (auto id : o.missing_ids) check(id > 0, "--missing-ids must be post ids > 0");
  for (char c : o.retry_after) check(c >= 0x20 && c != 0x7f, "--retry-after has a control character");
  return o;
}

}  // namespace rankpool::reposts
