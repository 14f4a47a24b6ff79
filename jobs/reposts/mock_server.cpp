#include "reposts/mock_server.hpp"

#include "rankpool/errors.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "reposts/detail/socket_scan.hpp"
#include "reposts/errors.hpp"
#include "reposts/inputs.hpp"
#include "reposts/mock_data.hpp"
#include "reposts/paging.hpp"
#include "reposts/redact.hpp"

namespace rankpool::reposts {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kTimelinePath = "/2/statuses/repost_timeline.json";
constexpr const char* kJson = "application/json;charset=UTF-8";
// Idle keep-alive connections hold a worker thread; this bounds how long
// stop() waits for them.
constexpr time_t kKeepAliveSeconds = 1;
constexpr int kBacklog = 1024;
constexpr std::int64_t kMaxPage = 1'000'000'000'000LL;

void check(bool ok, const std::string& message) {
  if (!ok) {
    throw UsageError("mock-weibo: " + message);
  }
}

MockWeiboOptions validated(MockWeiboOptions o) {
  check(!o.host.empty(), "--host is empty");
  check(o.port >= 0 && o.port <= 65535, "--port must be in 0..65535");
  check(o.total >= 0 && o.total <= kMockMaxReposts,
        "--total must be in 0.." + std::to_string(kMockMaxReposts));
  check(o.reachable >= 0, "--reachable must be >= 0");
  check(o.new_reposts_per_request >= 0, "--new-reposts-per-request must be >= 0");
  check(o.latency_ms >= 0 && o.jitter_ms >= 0, "--latency-ms and --jitter-ms must be >= 0");
  for (auto [rate, name] :
       {std::pair{o.fail_rate, "--fail-rate"}, std::pair{o.truncate_rate, "--truncate-rate"},
        std::pair{o.stall_rate, "--stall-rate"}, std::pair{o.reset_rate, "--reset-rate"}}) {
    check(rate >= 0.0 && rate <= 1.0, std::string(name) + " must be in 0..1");
  }
  check(o.fail_rate + o.truncate_rate + o.stall_rate + o.reset_rate <= 1.0 + 1e-9,
        "fault rates add up to more than 1");
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

// Rendered pages, each kept once; the oldest go past kLimit bytes.
class PageCache {
 public:
  std::shared_ptr<const std::string> get(const MockPageQuery& query) {
    const Key key{query.post_id, query.total, query.reachable, query.page, query.count};
    {
      std::lock_guard lock(mutex_);
      if (auto it = pages_.find(key); it != pages_.end()) return it->second;
    }
    // Rendered outside the lock; two threads may render the same page once each.
    auto body = std::make_shared<const std::string>(mock_page_body(query));
    std::lock_guard lock(mutex_);
    if (pages_.emplace(key, body).second) {
      order_.push_back(key);
      bytes_ += body->size();
      while (bytes_ > kLimit && order_.size() > 1) {
        auto oldest = pages_.find(order_.front());
        bytes_ -= oldest->second->size();
        pages_.erase(oldest);
        order_.pop_front();
      }
    }
    return body;
  }

 private:
  static constexpr std::size_t kLimit = std::size_t{256} << 20;
  struct Key {
    std::int64_t post, total, reachable, page;
    int count;
    bool operator==(const Key&) const = default;
  };
  struct Hash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h = std::hash<std::int64_t>{}(k.post);
      for (std::int64_t v : {k.total, k.reachable, k.page, std::int64_t{k.count}})
        h = h * 0x9E3779B97F4A7C15ULL + std::hash<std::int64_t>{}(v);
      return h;
    }
  };
  std::mutex mutex_;
  std::unordered_map<Key, std::shared_ptr<const std::string>, Hash> pages_;
  std::deque<Key> order_;
  std::size_t bytes_ = 0;
};

// Serves `pieces` back to back as one fixed-length body: no copy per answer,
// and httplib compresses only bodies it holds itself, so none here.
void send_pieces(httplib::Response& res, std::vector<std::shared_ptr<const std::string>> pieces) {
  std::size_t size = 0;
  for (const auto& piece : pieces) size += piece->size();
  res.set_content_provider(size, kJson,
                           [pieces = std::move(pieces)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             for (const auto& piece : pieces) {
                               if (length == 0) break;
                               if (offset >= piece->size()) {
                                 offset -= piece->size();
                                 continue;
                               }
                               const std::size_t n = std::min(length, piece->size() - offset);
                               if (!sink.write(piece->data() + offset, n)) return false;
                               offset = 0;
                               length -= n;
                             }
                             return true;
                           });
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

// Opened only to raise the listen backlog: cpp-httplib 0.11 listens with a
// backlog of 5, which drops connections when 100 clients arrive at once.
template <class Base>
class BacklogServer : public Base {
 public:
  using Base::Base;
  void raise_backlog(int backlog) { ::listen(this->svr_sock_.load(), backlog); }
};

}  // namespace

/// Counts a request in service while it lives, and the most there were at once.
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

class MockWeiboServer::Impl {
 public:
  explicit Impl(MockWeiboOptions options) : options_(validated(std::move(options))) {}

  ~Impl() { stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void start();
  void stop() noexcept;

  const MockWeiboOptions options_;
  int port_ = -1;

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> pages_{0};
  std::atomic<std::uint64_t> auth_errors_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
  std::atomic<std::uint64_t> missing_{0};
  std::atomic<std::uint64_t> rate_limited_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> truncated_{0};
  std::atomic<std::uint64_t> stalled_{0};
  std::atomic<std::uint64_t> reset_{0};
  std::atomic<std::uint64_t> busiest_window_{0};  // written under state_mutex_
  std::atomic<std::uint64_t> in_service_{0};
  std::atomic<std::uint64_t> most_at_once_{0};

 private:
  struct Answer {
    int status = 200;
    std::shared_ptr<const std::string> body;
    bool page = false;
    bool rate_limited = false;
  };

  void handle(const httplib::Request& req, httplib::Response& res);
  Answer answer(const httplib::Request& req);
  Answer error(int status, int code, const std::string& text, std::atomic<std::uint64_t>& counter);
  bool over_rate_limit(const std::string& token);
  std::int64_t total_now(std::int64_t post_id);
  void truncate(httplib::Response& res, Answer answer, std::mt19937_64& rng);
  void reset(const httplib::Request& req, httplib::Response& res);
  // Sleeps up to `delay`; returns early (false) when the server stops.
  bool sleep_unless_stopped(std::chrono::milliseconds delay);
  void log(const httplib::Request& req, const httplib::Response& res) const;
  void wait_until_running();

  std::unique_ptr<httplib::Server> server_;
  std::function<void(int)> raise_backlog_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;

  std::mutex state_mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> windows_;
  std::unordered_map<std::int64_t, std::int64_t> post_requests_;

  const std::unordered_set<std::int64_t> missing_ids_{options_.missing_ids.begin(), options_.missing_ids.end()};
  PageCache cache_;
  // `,"padding":"xxx..."}` closing every page when pad_bytes > 0.
  std::shared_ptr<const std::string> padding_;
};

void MockWeiboServer::Impl::start() {
  if (server_) {
    throw std::logic_error("mock-weibo: already started");
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (options_.pad_bytes > 0) {
    auto padding = std::string(",\"padding\":\"");
    padding.append(static_cast<std::size_t>(options_.pad_bytes), 'x');
    padding.append("\"}");
    padding_ = std::make_shared<const std::string>(std::move(padding));
  }
  if (options_.tls_cert.empty()) {
    auto plain = std::make_unique<BacklogServer<httplib::Server>>();
    raise_backlog_ = [raw = plain.get()](int n) { raw->raise_backlog(n); };
    server_ = std::move(plain);
  } else {
    auto tls = std::make_unique<BacklogServer<httplib::SSLServer>>(options_.tls_cert.c_str(),
                                                                   options_.tls_key.c_str());
    if (!tls->is_valid()) {
      throw std::runtime_error("mock-weibo: cannot load --tls-cert '" + options_.tls_cert +
                               "' and --tls-key '" + options_.tls_key + "'");
    }
    raise_backlog_ = [raw = tls.get()](int n) { raw->raise_backlog(n); };
    server_ = std::move(tls);
  }
  server_->new_task_queue = [n = options_.threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(n));
  };
  // httplib's default also sets SO_REUSEPORT, which lets a second server
  // share the port silently; a busy port must be an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->set_keep_alive_timeout(kKeepAliveSeconds);
  server_->set_keep_alive_max_count(1'000'000);
  server_->Get(kTimelinePath,
               [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
  server_->set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404 && res.body.empty()) {
          ++requests_;
          ++bad_requests_;
          res.set_content(mock_error_body(10020, "Request Api not found!", req.path), kJson);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      }));
  if (options_.log_requests) {
    server_->set_logger(
        [this](const httplib::Request& req, const httplib::Response& res) { log(req, res); });
  }
  errno = 0;
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    auto why = errno != 0 ? std::string(": ") + std::strerror(errno) : std::string();
    server_.reset();
    port_ = -1;
    throw std::runtime_error("mock-weibo: cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + why);
  }
  raise_backlog_(kBacklog);
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  wait_until_running();
}

void MockWeiboServer::Impl::wait_until_running() {
  // httplib's stop() is a no-op until the accept loop has started.
  while (!server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void MockWeiboServer::Impl::stop() noexcept {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (server_ && thread_.joinable()) {
    wait_until_running();
    server_->stop();
    thread_.join();
  }
}

bool MockWeiboServer::Impl::sleep_unless_stopped(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void MockWeiboServer::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  auto serial = requests_.fetch_add(1);
  const InService counted(in_service_, most_at_once_);
  // One generator per request, seeded by (seed, serial): a client that sends
  // its requests one at a time sees the same faults on every run.
  std::seed_seq seq{static_cast<std::uint32_t>(options_.seed),
                    static_cast<std::uint32_t>(options_.seed >> 32),
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
  res.status = normal.status;
  if (normal.rate_limited && !options_.retry_after.empty()) res.set_header("Retry-After", options_.retry_after);
  if (!normal.page) {
    res.set_content(*normal.body, kJson);
  } else if (padding_) {
    // The page without its closing brace, then the padding field and the brace.
    auto head = std::make_shared<const std::string>(normal.body->substr(0, normal.body->size() - 1));
    send_pieces(res, {std::move(head), padding_});
  } else {
    send_pieces(res, {std::move(normal.body)});
  }
}

MockWeiboServer::Impl::Answer MockWeiboServer::Impl::error(int status, int code,
                                                           const std::string& text,
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
                 "parameter (id)'s value invalid,expect (int64 > 0), but get (" +
                     id_text.substr(0, 32) + "), see doc for more info.",
                 bad_requests_);
  }
  std::int64_t count = 20;
  std::int64_t page = 1;
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

bool MockWeiboServer::Impl::over_rate_limit(const std::string& token) {
  if (options_.rate_limit == 0) {
    return false;
  }
  auto now = Clock::now();
  auto window = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.rate_window_s));
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
  return grown >= static_cast<double>(kMockMaxReposts)
             ? kMockMaxReposts
             : options_.total + options_.new_reposts_per_request * before;
}

void MockWeiboServer::Impl::truncate(httplib::Response& res, Answer answer, std::mt19937_64& rng) {
  auto size = answer.body->size();
  auto cut = std::max<std::size_t>(
      1, static_cast<std::size_t>(static_cast<double>(size) *
                                  std::uniform_real_distribution<double>(0.1, 0.9)(rng)));
  res.status = answer.status;
  if (rng() % 2 == 0) {
    // A complete HTTP answer whose JSON stops early (a proxy that cut it).
    res.set_content(answer.body->substr(0, std::min(cut, size)), kJson);
    return;
  }
  // Content-Length promises the whole body; the connection closes after `cut`.
  auto body = std::move(answer.body);
  res.set_content_provider(size, kJson,
                           [body, cut](std::size_t, std::size_t, httplib::DataSink& sink) {
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
  res.set_content_provider(1, kJson,
                           [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
}

void MockWeiboServer::Impl::log(const httplib::Request& req, const httplib::Response& res) const {
  auto line = "mock-weibo: " + req.method + " " + redact_secret(req.target, options_.token) +
              " -> " + std::to_string(res.status) + "\n";
  std::fputs(line.c_str(), stderr);
}

MockWeiboServer::MockWeiboServer(MockWeiboOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

MockWeiboServer::~MockWeiboServer() = default;

void MockWeiboServer::start() { impl_->start(); }

void MockWeiboServer::stop() noexcept { impl_->stop(); }

int MockWeiboServer::port() const noexcept { return impl_->port_; }

std::string MockWeiboServer::base_url() const {
  const auto& host = impl_->options_.host;
  auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  auto scheme = impl_->options_.tls_cert.empty() ? "http://" : "https://";
  return scheme + shown + ":" + std::to_string(impl_->port_);
}

MockStats MockWeiboServer::stats() const noexcept {
  const auto& i = *impl_;
  MockStats s;
  s.requests = i.requests_.load();
  s.pages = i.pages_.load();
  s.auth_errors = i.auth_errors_.load();
  s.bad_requests = i.bad_requests_.load();
  s.missing = i.missing_.load();
  s.rate_limited = i.rate_limited_.load();
  s.failed = i.failed_.load();
  s.truncated = i.truncated_.load();
  s.stalled = i.stalled_.load();
  s.reset = i.reset_.load();
  s.busiest_window = i.busiest_window_.load();
  s.most_at_once = i.most_at_once_.load();
  return s;
}

}  // namespace rankpool::reposts
