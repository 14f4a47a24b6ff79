#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "reposts/detail/mock_impl.hpp"
#include "reposts/detail/socket_scan.hpp"

namespace rankpool::reposts {

namespace {

// Counts a request in service while it lives, and the most there were at once.
class InService {
 public:
  InService(std::atomic<std::uint64_t>& now, std::atomic<std::uint64_t>& most) : now_(now) {
    const auto count = ++now_;
    auto seen = most.load();
    while (count > seen && !most.compare_exchange_weak(seen, count)) {
    }
  }
  ~InService() { --now_; }
  InService(const InService&) = delete;
  InService& operator=(const InService&) = delete;

 private:
  std::atomic<std::uint64_t>& now_;
};

}  // namespace

void MockWeiboServer::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  auto serial = requests_.fetch_add(1);
  const InService counted(in_service_, most_at_once_);
  // One generator per request, seeded by (seed, serial): a client that sends
  // its requests one at a time sees the same faults on every run.
  std::seed_seq seq{static_cast<std::uint32_t>(options_.seed), static_cast<std::uint32_t>(options_.seed >> 32),
                    static_cast<std::uint32_t>(serial), static_cast<std::uint32_t>(serial >> 32)};
  std::mt19937_64 rng(seq);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  auto delay = options_.latency_ms;
  if (options_.jitter_ms > 0) {
    delay += std::uniform_int_distribution<int>(0, options_.jitter_ms)(rng);
  }
  if (delay > 0 && !sleep_unless_stopped(std::chrono::milliseconds(delay))) {
    res.status = 503;
    res.set_content("<html><body>shutting down</body></html>", "text/html");
    return;
  }

  auto draw = unit(rng);
  if ((draw -= options_.fail_rate) < 0.0) {
    ++failed_;
    res.status = 500;
    if (!options_.retry_after.empty()) res.set_header("Retry-After", options_.retry_after);
    res.set_content("<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html");
    return;
  }
  if ((draw -= options_.reset_rate) < 0.0) {
    ++reset_;
    reset(req, res);
    return;
  }
  auto normal = answer(req);
  if ((draw -= options_.truncate_rate) < 0.0) {
    ++truncated_;
    truncate(res, std::move(normal), rng);
    return;
  }
  if ((draw -= options_.stall_rate) < 0.0) {
    ++stalled_;
    if (!sleep_unless_stopped(std::chrono::milliseconds(options_.stall_ms))) {
      res.status = 503;
      res.set_content("<html><body>shutting down</body></html>", "text/html");
      return;
    }
  }
  respond(res, std::move(normal));
}

void MockWeiboServer::Impl::truncate(httplib::Response& res, Answer answer, std::mt19937_64& rng) {
  auto size = answer.body->size();
  auto cut = std::max<std::size_t>(
      1, static_cast<std::size_t>(static_cast<double>(size) * std::uniform_real_distribution<double>(0.1, 0.9)(rng)));
  res.status = answer.status;
  if (rng() % 2 == 0) {
    // A complete HTTP answer whose JSON stops early (a proxy that cut it).
    res.set_content(answer.body->substr(0, std::min(cut, size)), kJson);
    return;
  }
  // Content-Length promises the whole body; the connection closes after `cut`.
  auto body = std::move(answer.body);
  res.set_content_provider(size, kJson, [body, cut](std::size_t, std::size_t, httplib::DataSink& sink) {
    sink.write(body->data(), std::min(cut, body->size()));
    return false;
  });
}

void MockWeiboServer::Impl::reset(const httplib::Request& req, httplib::Response& res) {
  auto fd = detail::find_tcp_socket(req.local_port, req.remote_addr, req.remote_port);
  if (fd >= 0) {
    // Linger 0 turns the close that follows into a RST.
    linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::shutdown(fd, SHUT_RDWR);
    res.status = 500;
    res.set_content("reset", "text/plain");
    return;
  }
  // Socket not found: the next best thing, headers and then nothing.
  res.set_content_provider(1, kJson, [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
}

}  // namespace rankpool::reposts
