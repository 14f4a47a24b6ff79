#pragma once
/// \file
/// Core: what the public Pool, AsyncResult and ResultStream hold of the
/// master's engine. No MPI here: the engine, its thread and the protocol live
/// behind this interface (detail/engine_core.cpp), so a user's file that
/// includes <rankpool/rankpool.hpp> sees none of them.

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/task_source.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/pool_stats.hpp"
#include "rankpool/task_result.hpp"

namespace rankpool::detail {

/// A job the workers know by id. Shared by the calls that use it; when the
/// last one lets go, the workers are told to forget it.
struct JobEntry {
  std::uint64_t id = 0;
  std::string name;
  std::string params;
  std::string key;
  int concurrency = 1;  ///< tasks one worker may hold at once (TaskRunner::concurrency)
};
using JobPtr = std::shared_ptr<const JobEntry>;

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

inline Deadline deadline_after(std::optional<std::chrono::duration<double>> timeout) {
  if (!timeout) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(*timeout);
}

/// Runs a user's callback on the engine's thread: what it throws is reported
/// on stderr (one line) instead of ending the thread that runs the pool.
void report_callback_error(std::exception_ptr error) noexcept;
/// What an exception says (its what(), or a note that it has none).
std::string describe(const std::exception_ptr& error);
template <class F>
void run_callback(F&& callback) noexcept {
  try {
    callback();
  } catch (...) {
    report_callback_error(std::current_exception());
  }
}

/// What a call asks of the engine: its tasks, how many go in a chunk, where
/// the results go, which handle made it and over how many workers.
struct CallRequest {
  JobPtr job;
  std::unique_ptr<TaskSource> tasks;
  std::uint64_t chunksize = 0;  ///< 0: automatic
  std::shared_ptr<ResultSink> sink;
  std::uint64_t owner = 0;  ///< the Pool handle that made the call
  int pool_size = 0;        ///< workers the call may use: the first pool_size of them
};

/// The master's engine as the API sees it. Every member may be called from
/// the user's threads; the engine's own thread hands tasks out, takes results,
/// and runs callbacks. Waits and reads of results happen under the engine's
/// lock (wait_until's predicate and `locked` run inside it).
class Core {
 public:
  virtual ~Core() = default;

  /// Workers in the whole world (ranks 1..P-1).
  virtual int world_workers() const noexcept = 0;
  /// A handle id for a new Pool handle (its calls are its own to close, join and terminate).
  virtual std::uint64_t new_owner() noexcept = 0;

  /// The job with this name and parameters, loaded once while anyone holds it.
  virtual JobPtr load_job(std::string_view name, std::string params) = 0;
  /// Queues a dynamic call (apply_async, imap, imap_unordered).
  virtual void submit(CallRequest call) = 0;
  /// Queues a map: one scatter; `blocking`: the caller waits for it (map, not map_async).
  virtual void submit_map(CallRequest call, bool blocking) = 0;
  /// Runs the tasks on the calling thread, now (the serial variant).
  virtual void run_inline(const JobPtr& job, TaskSource& tasks, ResultSink& sink) = 0;

  /// Waits until `done()` (evaluated under the engine's lock) or the deadline;
  /// false on timeout. Throws UsageError on the engine's own thread (a
  /// callback must not wait for the pool that runs it), StallError when a
  /// worker holds work and sends nothing for the task timeout, and what the
  /// wait hook throws.
  virtual bool wait_until(const std::function<bool()>& done, Deadline deadline = std::nullopt) = 0;
  /// Runs `action` under the engine's lock (reads of a sink the engine fills).
  virtual void locked(const std::function<void()>& action) = 0;
  /// Whether calls of this handle are queued, out on workers, or in a collective.
  virtual bool busy(std::uint64_t owner) = 0;
  /// Drops this handle's tasks not yet handed out; their calls end with a "terminated" failure.
  virtual void cancel_queued(std::uint64_t owner) = 0;
  /// As cancel_queued, and tells the workers to skip this handle's tasks they
  /// hold but have not started; results of running tasks are dropped when they come.
  virtual void terminate(std::uint64_t owner) = 0;

  virtual void set_depth(int depth) = 0;
  virtual void set_async_chunksize(std::uint64_t chunksize) = 0;
  virtual std::uint64_t async_chunksize() const noexcept = 0;
  virtual void set_wait_policy(WaitPolicy policy) = 0;
  virtual WaitPolicy wait_policy() const noexcept = 0;
  virtual void set_trace(bool trace) = 0;
  virtual void set_master_works(bool on) = 0;
  virtual void set_task_timeout(double seconds) = 0;
  /// Called on the engine's thread, under its lock, with every result that
  /// arrives (not with cancelled ones), before its call sees it.
  virtual void set_observer(std::function<void(const TaskResult&, const std::string& job)> observer) = 0;
  /// Called on the waiting thread, between the rounds of every wait (at least
  /// every 20 ms); may throw to end that wait.
  virtual void set_wait_hook(std::function<void()> hook) = 0;

  virtual TaskFailure failure_of(const TaskResult& result, const std::string& job) const = 0;
  /// The host and pid of a rank (0 is the master).
  /// Where the time went since the first hand-out (see PoolStats).
  virtual PoolStats stats() const = 0;
  virtual std::string rank_host(int rank) const = 0;
  virtual long rank_pid(int rank) const = 0;
};

}  // namespace rankpool::detail
