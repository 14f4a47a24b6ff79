#pragma once
/// \file
/// The mock Weibo server's insides, shared by its parts, one concern each: the options' check
/// (mock_options.cpp), the answers of the API (mock_answer.cpp), the injected faults
/// (mock_faults.cpp), the rendered pages (detail/mock_pages.cpp) and the HTTP server's life
/// (mock_server.cpp). Private to them.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "reposts/mock_data.hpp"
#include "reposts/mock_server.hpp"

namespace rankpool::reposts {

using Clock = std::chrono::steady_clock;

inline constexpr const char* kTimelinePath = "/2/statuses/repost_timeline.json";
inline constexpr const char* kJson = "application/json;charset=UTF-8";
// Idle keep-alive connections hold a worker thread; this bounds how long
// stop() waits for them.
inline constexpr time_t kKeepAliveSeconds = 1;
inline constexpr int kBacklog = 1024;
inline constexpr std::int64_t kMaxPage = 1'000'000'000'000LL;

/// OPTIONS, checked: throws `UsageError` ("mock-weibo: ...") for inconsistent ones.
MockWeiboOptions validated_mock_options(MockWeiboOptions options);

// Rendered pages, each kept once; the oldest go past kLimit bytes.
class MockPageCache {
 public:
  /// The page QUERY asks for, rendered once and kept while the cache holds it.
  std::shared_ptr<const std::string> get(const MockPageQuery& query);

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
void send_pieces(httplib::Response& res, std::vector<std::shared_ptr<const std::string>> pieces);

class MockWeiboServer::Impl {
 public:
  explicit Impl(MockWeiboOptions options) : options_(validated_mock_options(std::move(options))) {}

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

  void make_server();
  void install_handlers();
  void bind_port();
  void handle(const httplib::Request& req, httplib::Response& res);
  // The answer a request without an injected fault gets, sent (a page in pieces, with its padding).
  void respond(httplib::Response& res, Answer normal);
  Answer answer(const httplib::Request& req);
  // Reads `count` and `page` when given; an error answer when one is not an integer.
  std::optional<Answer> read_paging(const httplib::Request& req, std::int64_t& count, std::int64_t& page);
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
  MockPageCache cache_;
  // `,"padding":"xxx..."}` closing every page when pad_bytes > 0.
  std::shared_ptr<const std::string> padding_;
};

}  // namespace rankpool::reposts
