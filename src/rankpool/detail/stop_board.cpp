#include "rankpool/detail/stop_board.hpp"

#include <algorithm>

#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

StopBoard::StopBoard(std::function<void()> look) : look_(std::move(look)) {}

StopBoard::~StopBoard() {
  {
    std::lock_guard lock(mutex_);
    quitting_ = true;
  }
  task_running_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void StopBoard::begin(std::uint64_t chunk_id) {
  std::lock_guard lock(mutex_);
  current_ = chunk_id;
  highest_begun_ = std::max(highest_begun_, chunk_id);
  source_ = std::stop_source();
  if (named_early_.erase(chunk_id) != 0) source_.request_stop();
}

void StopBoard::end() {
  std::lock_guard lock(mutex_);
  current_.reset();
}

void StopBoard::take(std::string_view cancel_message) {
  const std::vector<std::uint64_t> chunks = read_cancel(cancel_message);
  std::lock_guard lock(mutex_);
  for (std::uint64_t chunk : chunks) {
    if (current_ == chunk)
      source_.request_stop();
    else if (chunk > highest_begun_)  // chunk ids grow: a lower one has come and gone
      named_early_.insert(chunk);
  }
}

void StopBoard::look_now() {
  if (!look_) return;
  std::lock_guard lock(look_mutex_);
  last_look_ = std::chrono::steady_clock::now();
  look_();
}

bool StopBoard::stopped() {
  if (look_ && std::chrono::steady_clock::now() - last_look_ >= std::chrono::duration<double>(kLookSeconds)) look_now();
  std::lock_guard lock(mutex_);
  return source_.stop_requested();
}

std::stop_token StopBoard::token() {
  std::lock_guard lock(mutex_);
  return source_.get_token();
}

void StopBoard::task_begins() {
  if (!look_) return;
  {
    std::lock_guard lock(mutex_);
    watching_ = true;
    if (!watcher_.joinable()) watcher_ = std::thread([this] { watch(); });
  }
  task_running_.notify_one();
}

void StopBoard::task_ends() {
  if (!look_) return;
  // Waits for a look in progress: the caller's MPI calls come next.
  std::lock_guard looking(look_mutex_);
  std::lock_guard lock(mutex_);
  watching_ = false;
}

void StopBoard::watch() {
  std::unique_lock lock(mutex_);
  for (;;) {
    task_running_.wait(lock, [this] { return quitting_ || watching_; });
    if (quitting_) return;
    if (!source_.stop_requested()) {
      lock.unlock();
      {
        // Looks only while the task runs: once task_ends() holds look_mutex_, the caller's MPI calls follow.
        std::lock_guard looking(look_mutex_);
        bool still_running = false;
        {
          std::lock_guard check(mutex_);
          still_running = watching_ && !quitting_;
        }
        if (still_running) look_();
      }
      lock.lock();
    }
    task_running_.wait_for(lock, std::chrono::duration<double>(kLookSeconds),
                           [this] { return quitting_ || !watching_; });
  }
}

}  // namespace rankpool::detail
