#include "rankpool/detail/local_worker.hpp"

#include <cstdlib>
#include <iostream>

namespace rankpool::detail {

LocalWorker::LocalWorker(const JobRegistry& registry, std::string host, long pid, std::function<void()> initializer)
    : executor_(registry, 0, std::move(host), pid), initializer_(std::move(initializer)), thread_([this] { serve(); }) {
  executor_.use_stop_board(&stops_);
}

LocalWorker::~LocalWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LocalWorker::post(int tag, std::string message) {
  if (tag == kCancel) {
    stops_.take(message);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    inbox_.emplace_back(tag, std::move(message));
  }
  wake_.notify_one();
}

std::optional<std::string> LocalWorker::poll() {
  std::lock_guard lock(mutex_);
  if (outbox_.empty()) return std::nullopt;
  std::string out = std::move(outbox_.front());
  outbox_.pop_front();
  return out;
}

/// A streaming run's view of the thread's queues.
class LocalWorker::Port final : public StreamPort {
 public:
  explicit Port(LocalWorker& worker) : worker_(worker) {}
  std::optional<std::pair<int, std::string>> poll() override {
    std::lock_guard lock(worker_.mutex_);
    if (worker_.inbox_.empty()) return std::nullopt;
    auto message = std::move(worker_.inbox_.front());
    worker_.inbox_.pop_front();
    return message;
  }
  void defer(int tag, std::string message) override {
    std::lock_guard lock(worker_.mutex_);
    worker_.inbox_.emplace_front(tag, std::move(message));
  }
  void send(std::string message) override {
    std::lock_guard lock(worker_.mutex_);
    worker_.outbox_.push_back(std::move(message));
  }

 private:
  LocalWorker& worker_;
};

void LocalWorker::serve() {
  if (initializer_) {
    try {
      initializer_();
    } catch (const std::exception& error) {
      std::cerr << "rankpool: error: the initializer threw on rank 0: " << error.what() << std::endl;
      std::_Exit(1);
    }
  }
  for (;;) {
    std::pair<int, std::string> message;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !inbox_.empty(); });
      if (stopping_) return;
      message = std::move(inbox_.front());
      inbox_.pop_front();
    }
    if (message.first == kTasks && executor_.streams(message.second)) {
      Port port(*this);
      executor_.stream(message.second, port);
      continue;
    }
    std::string reply = executor_.handle(message.first, message.second);
    if (reply.empty()) continue;
    std::lock_guard lock(mutex_);
    outbox_.push_back(std::move(reply));
  }
}

}  // namespace rankpool::detail
