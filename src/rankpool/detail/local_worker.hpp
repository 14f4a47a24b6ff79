#pragma once
/// \file
/// LocalWorker: with no workers (one rank), a thread on the master stands in
/// for one, so the master still waits, honours timeouts and answers signals
/// while a task runs. It speaks the same messages as an MPI worker.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "rankpool/detail/executor.hpp"

namespace rankpool::detail {

class LocalWorker {
 public:
  /// `initializer` (may be empty) runs on the thread before anything else.
  LocalWorker(const JobRegistry& registry, std::string host, long pid, std::function<void()> initializer = {});
  ~LocalWorker();
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  /// Queues a message for the thread (kJob, kForget or kTasks); a kCancel
  /// takes effect at once, on the calling thread.
  void post(int tag, std::string message);
  /// A kResults message the thread has finished, if any.
  std::optional<std::string> poll();

 private:
  class Port;
  void serve();

  StopBoard stops_;
  Executor executor_;
  std::function<void()> initializer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<int, std::string>> inbox_;
  std::deque<std::string> outbox_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rankpool::detail
