#pragma once
/// \file
/// EngineCore: the master's Engine on a thread of its own, behind Core.
///
/// The engine's thread hands tasks out, takes results, delivers them to the
/// calls' sinks and runs callbacks (and the observer), all under one lock.
/// The user's threads queue calls in an inbox the thread takes at its next
/// round (so a loop of submissions never waits for a round), and wait on a
/// condition the thread signals after every round that moved something.
/// MPI is called by the engine's thread, and by a user's thread only under
/// the same lock (settings, cancel): MPI_THREAD_SERIALIZED is enough.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rankpool/detail/core.hpp"
#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/job_table.hpp"

namespace rankpool::detail {

class EngineCore final : public Core {
 public:
  /// `initializer`: run by the master's stand-in worker thread (one rank) before its first task.
  EngineCore(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks,
             std::function<void()> initializer);
  /// Shuts down as a failing end if shut_down() was not called (exit code 1).
  ~EngineCore() override;
  EngineCore(const EngineCore&) = delete;
  EngineCore& operator=(const EngineCore&) = delete;

  /// Lets the queued work finish (`drop_queued`: drops it and waits only for
  /// what is running, at most `grace_seconds`, saying which task it waits
  /// for), releases every worker with `exit_code` and ends the engine's
  /// thread. Returns false if the grace ran out with tasks still running (the
  /// workers that hold them are not released). Idempotent.
  bool shut_down(int exit_code, bool drop_queued, double grace_seconds);

  int world_workers() const noexcept override { return engine_.world_workers(); }
  std::uint64_t new_owner() noexcept override { return next_owner_.fetch_add(1); }
  JobPtr load_job(std::string_view name, std::string params) override { return jobs_.load(name, std::move(params)); }
  void submit(CallRequest call) override { post(Command{std::move(call), false, false}); }
  void submit_map(CallRequest call, bool blocking) override { post(Command{std::move(call), true, blocking}); }
  void run_inline(const JobPtr& job, TaskSource& tasks, ResultSink& sink) override;
  bool wait_until(const std::function<bool()>& done, Deadline deadline) override;
  void locked(const std::function<void()>& action) override;
  bool busy(std::uint64_t owner) override;
  void cancel_queued(std::uint64_t owner) override;
  void terminate(std::uint64_t owner) override;

  void set_depth(int depth) override;
  void set_async_chunksize(std::uint64_t chunksize) override { async_chunksize_.store(chunksize); }
  std::uint64_t async_chunksize() const noexcept override { return async_chunksize_.load(); }
  void set_wait_policy(WaitPolicy policy) override;
  WaitPolicy wait_policy() const noexcept override { return policy_.load(); }
  void set_trace(bool trace) override;
  void set_master_works(bool on) override;
  void set_task_timeout(double seconds) override;
  void set_observer(std::function<void(const TaskResult&, const std::string& job)> observer) override;
  void set_wait_hook(std::function<void()> hook) override;

  TaskFailure failure_of(const TaskResult& result, const std::string& job) const override {
    return engine_.failure_of(result, job);
  }
  PoolStats stats() const override;
  std::string rank_host(int rank) const override { return engine_.rank_info(rank).host; }
  long rank_pid(int rank) const override { return engine_.rank_info(rank).pid; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Command {
    CallRequest call;
    bool map = false;
    bool blocking = false;
  };
  void post(Command command);
  /// Moves the queued calls into the engine (under the lock); from a user's
  /// thread, wakes the engine's thread to look at them.
  void absorb_inbox();
  /// Wakes the engine's thread for a change made from a user's thread.
  void poke();
  /// The engine's thread.
  void loop();
  /// What one round found: whether anything moved, whether nothing is out,
  /// how long the loop may sleep, whether the loop is over (workers released, or broken).
  struct Round {
    bool moved = false;
    bool idle = false;
    std::optional<double> planned;
    bool over = false;
  };
  /// One round under the lock; tells waiters when anything moved. Sets ended_ once the workers are released.
  Round round();
  /// Sleeps until a call is queued, the shutdown starts, or `seconds` pass (forever: nullopt).
  void nap(std::optional<double> seconds);
  /// Says which task the shutdown waits for (under the lock).
  void report_waiting() const;
  void throw_if_broken() const;
  void check_callable_here(const char* what) const;

  JobTable jobs_;
  const JobRegistry& registry_;
  mutable std::recursive_mutex mutex_;  // the engine, every sink, the hooks; recursive: callbacks run under it
  std::condition_variable_any changed_;
  Engine engine_;
  std::function<void()> wait_hook_;
  std::exception_ptr broken_;  // what the engine's thread threw: every later wait throws it
  bool ended_ = false;         // the workers are released

  std::mutex inbox_mutex_;  // taken after mutex_ where both are held
  std::condition_variable wake_;
  std::vector<Command> inbox_;
  std::optional<int> stop_code_;  // the shutdown asked for, under inbox_mutex_
  bool poked_ = false;            // a user's thread changed the engine: look again (under inbox_mutex_)

  std::atomic<std::uint64_t> next_owner_{1};
  std::atomic<std::uint64_t> async_chunksize_{0};
  std::atomic<WaitPolicy> policy_;
  std::atomic<bool> stalled_{false};
  std::atomic<double> engine_cpu_at_end_{0};  // the engine thread's CPU seconds, kept as it ends

  std::mutex inline_mutex_;  // the serial variant's executor, on the caller's thread
  std::unique_ptr<Executor> inline_;
  std::unordered_map<std::uint64_t, std::weak_ptr<const JobEntry>> inline_jobs_;

  std::thread thread_;
  std::thread::id engine_thread_;
};

}  // namespace rankpool::detail
