#include "reposts/mock_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "reposts/detail/mock_impl.hpp"
#include "reposts/redact.hpp"

namespace rankpool::reposts {

namespace {

// Opened only to raise the listen backlog: cpp-httplib 0.11 listens with a
// backlog of 5, which drops connections when 100 clients arrive at once.
template <class Base>
class BacklogServer : public Base {
 public:
  using Base::Base;
  void raise_backlog(int backlog) { ::listen(this->svr_sock_.load(), backlog); }
};

}  // namespace

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
  make_server();
  install_handlers();
  bind_port();
  raise_backlog_(kBacklog);
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  wait_until_running();
}

void MockWeiboServer::Impl::make_server() {
  if (options_.tls_cert.empty()) {
    auto plain = std::make_unique<BacklogServer<httplib::Server>>();
    raise_backlog_ = [raw = plain.get()](int n) { raw->raise_backlog(n); };
    server_ = std::move(plain);
  } else {
    auto tls = std::make_unique<BacklogServer<httplib::SSLServer>>(options_.tls_cert.c_str(), options_.tls_key.c_str());
    if (!tls->is_valid()) {
      throw std::runtime_error("mock-weibo: cannot load --tls-cert '" + options_.tls_cert + "' and --tls-key '" +
                               options_.tls_key + "'");
    }
    raise_backlog_ = [raw = tls.get()](int n) { raw->raise_backlog(n); };
    server_ = std::move(tls);
  }
  server_->new_task_queue = [n = options_.threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
  // httplib's default also sets SO_REUSEPORT, which lets a second server
  // share the port silently; a busy port must be an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->set_keep_alive_timeout(kKeepAliveSeconds);
  server_->set_keep_alive_max_count(1'000'000);
}

void MockWeiboServer::Impl::install_handlers() {
  server_->Get(kTimelinePath, [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
  server_->set_error_handler(
      httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404 && res.body.empty()) {
          ++requests_;
          ++bad_requests_;
          res.set_content(mock_error_body(10020, "Request Api not found!", req.path), kJson);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      }));
  if (options_.log_requests) {
    server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) { log(req, res); });
  }
}

void MockWeiboServer::Impl::bind_port() {
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
    throw std::runtime_error("mock-weibo: cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                             why);
  }
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

void MockWeiboServer::Impl::log(const httplib::Request& req, const httplib::Response& res) const {
  auto line = "mock-weibo: " + req.method + " " + redact_secret(req.target, options_.token) + " -> " +
              std::to_string(res.status) + "\n";
  std::fputs(line.c_str(), stderr);
}

MockWeiboServer::MockWeiboServer(MockWeiboOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

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
