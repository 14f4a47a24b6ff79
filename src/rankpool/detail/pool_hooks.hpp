#pragma once
/// \file
/// PoolHooks: what the rankpool command needs of a Pool beyond a program's
/// API (it sees every outcome as it arrives, and acts on signals between the
/// rounds of a wait). Not for programs: its meaning may change.

#include <functional>
#include <string>

#include "rankpool/pool.hpp"

namespace rankpool::detail {

struct PoolHooks {
  /// Called on the pool's thread, under its lock, with every result that
  /// arrives (not with cancelled ones), before its call sees it; and on the
  /// caller's thread with every result of Pool::serial. Empty: none.
  static void set_observer(Pool& pool, std::function<void(const TaskResult&, const std::string& job)> observer) {
    pool.core_->set_observer(std::move(observer));
  }
  /// Called on the waiting thread between the rounds of every wait on the
  /// pool (get(), next(), join(), ...), at least every 20 ms; may throw to end that wait.
  static void set_wait_hook(Pool& pool, std::function<void()> hook) { pool.core_->set_wait_hook(std::move(hook)); }
  /// Where and why a result failed.
  static TaskFailure failure_of(const Pool& pool, const TaskResult& result, const std::string& job) {
    return pool.core_->failure_of(result, job);
  }
};

}  // namespace rankpool::detail
