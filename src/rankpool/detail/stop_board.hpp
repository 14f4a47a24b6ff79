#pragma once
/// \file
/// StopBoard: a worker's view of terminate(). The master names the chunks
/// (kTasks messages or map shares) of a terminated call in a kCancel; the
/// worker skips their tasks not started yet, and a task that takes a
/// std::stop_token sees its stop requested while it runs.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace rankpool::detail {

class StopBoard {
 public:
  /// `look`: fetches kCancel news (an MPI worker probes for them) and hands
  /// them to take(); called by stopped() at most every kLookSeconds, and
  /// every kLookSeconds by a thread of the board's own while a task that
  /// takes a stop token runs. Without it, news comes only through take().
  explicit StopBoard(std::function<void()> look = {});
  ~StopBoard();
  StopBoard(const StopBoard&) = delete;
  StopBoard& operator=(const StopBoard&) = delete;

  /// The work of chunk `chunk_id` starts: a fresh stop state, requested
  /// already if a kCancel named the chunk before it arrived.
  void begin(std::uint64_t chunk_id);
  /// The chunk's work is over.
  void end();
  /// A kCancel message: stops the chunk in hand if it names it, and
  /// remembers the chunks it names that have not started yet.
  void take(std::string_view cancel_message);
  /// Whether the chunk in hand was cancelled (looks for news first, now and then).
  bool stopped();
  /// The stop token of the chunk in hand, for a task that takes one.
  std::stop_token token();
  /// A task that takes the token runs from task_begins() to task_ends():
  /// meanwhile the board's thread looks for news.
  void task_begins();
  void task_ends();
  /// Held around every look; a worker's other MPI calls made while a task
  /// runs (a RateBudget's leases) hold it too (MPI_THREAD_SERIALIZED).
  std::mutex& look_mutex() noexcept { return look_mutex_; }

  /// How often news is looked for while work is in hand.
  static constexpr double kLookSeconds = 0.005;

 private:
  void look_now();
  void watch();

  std::function<void()> look_;
  std::mutex look_mutex_;
  std::chrono::steady_clock::time_point last_look_{};

  std::mutex mutex_;  // guards what follows
  std::condition_variable task_running_;
  std::optional<std::uint64_t> current_;
  std::uint64_t highest_begun_ = 0;
  std::stop_source source_;
  std::unordered_set<std::uint64_t> named_early_;
  bool watching_ = false;
  bool quitting_ = false;
  std::thread watcher_;  // started at the first task that takes a token, when there is a look
};

}  // namespace rankpool::detail
