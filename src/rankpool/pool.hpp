#pragma once
/// \file
/// Pool: Python's multiprocessing.Pool over MPI ranks. Lives on the master
/// (rank 0); get one from a Session.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "rankpool/async_result.hpp"
#include "rankpool/codec.hpp"
#include "rankpool/detail/core.hpp"
#include "rankpool/detail/result_states.hpp"
#include "rankpool/detail/task_source.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/outcome.hpp"
#include "rankpool/pool_stats.hpp"
#include "rankpool/result_stream.hpp"
#include "rankpool/task_set.hpp"

namespace rankpool {

/// A job value the pool has loaded: pass it to calls instead of the value to
/// skip saving its parameters each time. The workers keep the job while any
/// handle or call holds it, and forget it after.
template <Job J>
struct LoadedJob {
  detail::JobPtr entry;
};

class Session;

namespace detail {

struct PoolHooks;

template <class T>
struct JobOf {
  using type = T;
};
template <class J>
struct JobOf<LoadedJob<J>> {
  using type = J;
};

}  // namespace detail

/// The job type of a job value or of a LoadedJob.
template <class T>
using job_of_t = typename detail::JobOf<std::decay_t<T>>::type;

/// A job value, or a LoadedJob.
template <class T>
concept JobLike = Job<job_of_t<T>>;

/// Where a rank runs: its host and process id.
struct RankLocation {
  std::string host;
  long pid = 0;
};

/// The pool of workers, driven from the master. Every call takes the tasks'
/// arguments, which travel with their tasks; the job's parameters go to each
/// worker once.
///
/// | call               | returns             | how it runs                                              |
/// |--------------------|---------------------|----------------------------------------------------------|
/// | serial             | vector<R>           | on the calling thread, one after another                 |
/// | apply              | R                   | one task on the next worker; blocks                      |
/// | apply_async        | AsyncResult<R>      | queued; workers with room take the next tasks            |
/// | map, starmap       | vector<R>           | tasks scattered (MPI collective), results as they finish |
/// | map_outcomes       | vector<TaskOutcome> | the same, every task's value or error                    |
/// | map_async          | AsyncResult<vec<R>> | the same with a nonblocking scatter                      |
/// | imap               | ResultStream<R>     | dynamic chunks, results in request order, bounded memory |
/// | imap_unordered     | ResultStream<R>     | dynamic chunks, results as they finish                   |
///
/// The pool's engine runs on a thread of its own on the master: tasks are
/// handed out and results taken while the caller computes, as in Python's
/// Pool. Callbacks (on_success, on_error) run on that thread, one at a time;
/// they may submit more work, and a blocking call made from one (get, wait,
/// apply, map, join, ...) throws UsageError instead of waiting for itself.
///
/// A task that throws comes back as RemoteError from get(), next() or the
/// blocking call; the worker lives on. A call whose input fails on the master
/// (its range throws, an argument's encoding throws) raises that exception
/// and leaves the pool as it was. With no workers (one rank) a thread on the
/// master runs the tasks.
///
/// Handles: Session::pool() is the session's pool. A copy is a pool of its
/// own over the same workers, as a second Python Pool would be: close(),
/// join(), terminate(), cancel() and resize() act on the calls made through
/// that handle only. The engine's settings (set_trace, set_depth,
/// set_async_chunksize, set_wait_policy, set_task_timeout) are the session's,
/// shared by every handle.
class Pool {
 public:
  /// A new handle over the same workers: open, the same size, no calls of its own.
  Pool(const Pool& other) : core_(other.core_), owner_(core_->new_owner()), workers_(other.workers_) {}
  Pool& operator=(const Pool& other) {
    if (this != &other) {
      core_ = other.core_;
      owner_ = core_->new_owner();
      workers_ = other.workers_;
      closed_ = false;
    }
    return *this;
  }

  /// Workers this pool hands tasks to.
  int workers() const noexcept { return workers_; }
  /// Uses the first `workers` workers only (`--pool K`); the rest take none of
  /// this handle's tasks. Throws UsageError unless 1 <= workers <= the workers
  /// running (with one rank there are none: the master's own thread runs the
  /// tasks, and resize is refused).
  void resize(int workers) {
    if (workers < 1 || workers > core_->world_workers())
      throw UsageError("pool of " + std::to_string(workers) + " workers asked for, but " +
                       std::to_string(core_->world_workers()) + " are running (a pool needs at least one)");
    workers_ = workers;
  }
  /// Prints which rank (host, pid) starts and finishes each task, on stderr.
  void set_trace(bool trace) { core_->set_trace(trace); }
  /// Rank 0 runs tasks too, on a thread of its own beside the pool's engine
  /// thread (as it does when it is the only rank), so `mpirun -np N` on N
  /// cores does N ranks' worth of work: apply, apply_async, imap and
  /// imap_unordered hand out to it as to a worker; map and map_async scatter
  /// the workers' shares and hand rank 0's out with the dynamic tail, which
  /// every rank draws on. Off by default: a program that computes on the
  /// master between calls then shares rank 0's core with its tasks, and a
  /// task that crashes there ends the run (isolation covers the workers only).
  void set_master_works(bool on) { core_->set_master_works(on); }
  /// Chunks in flight per worker, so a worker never waits for its next one
  /// (0, the default: as many as cover a few ms of measured task time).
  void set_depth(int depth) { core_->set_depth(depth); }
  /// Tasks per hand-out of queued apply_async calls: 0 (the default) sizes
  /// hand-outs from measured task times, several calls of one job per
  /// message; 1 sends each call on its own.
  void set_async_chunksize(std::uint64_t chunksize) { core_->set_async_chunksize(chunksize); }
  /// How the workers wait (see WaitPolicy; default kAuto, or the
  /// environment's `RANKPOOL_WAIT`).
  void set_wait_policy(WaitPolicy policy) { core_->set_wait_policy(policy); }
  /// The policy in force: kBlock or kBackoff (kAuto decided).
  WaitPolicy wait_policy() const noexcept { return core_->wait_policy(); }
  /// A worker that holds work and sends nothing for `seconds` ends the wait
  /// with StallError (0: never).
  void set_task_timeout(double seconds) { core_->set_task_timeout(seconds); }

  /// Python's map chunksize, ceil(tasks / (4 * workers)), for callers that
  /// want it; rankpool's own default (chunksize 0) deals smaller chunks zig-zag.
  std::uint64_t default_chunksize(std::uint64_t tasks) const noexcept {
    const std::uint64_t spread = 4 * static_cast<std::uint64_t>(std::max(workers(), 1));
    return std::max<std::uint64_t>(1, (tasks + spread - 1) / spread);
  }

  /// Loads a job value once; calls that take the handle skip saving its parameters.
  template <Job J>
  LoadedJob<J> load(const J& job) {
    if constexpr (detail::check_job<J>())
      return LoadedJob<J>{core_->load_job(J::name, save_params(job))};
    else
      return {};
  }

  /// Runs the tasks on the calling thread, in order. Blocking; no MPI.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  std::vector<job_result_t<J>> serial(const JL& job, Args&& args) {
    const detail::JobPtr entry = entry_of(job);
    detail::CollectState state;
    auto source = make_source<J>(std::forward<Args>(args));
    core_->run_inline(entry, *source, state);
    if (state.error()) std::rethrow_exception(state.error());
    return decode_all<job_result_t<J>>(state.results(), entry->name);
  }

  /// Runs one task on a worker and waits for it (blocking point-to-point).
  template <JobLike JL, class J = job_of_t<JL>, TaskArg<J> A = job_arg_t<J>>
  job_result_t<J> apply(const JL& job, A&& arg) {
    return apply_async(job, std::forward<A>(arg)).get();
  }

  /// Queues one task; an idle worker takes it. Callbacks run on the pool's
  /// thread when the result arrives, as in Python: `on_success(value)` or
  /// `on_error(error)`. A callback may submit more work but must not wait on the pool.
  /// `arg` converts to the job's argument type without narrowing.
  template <JobLike JL, class J = job_of_t<JL>, TaskArg<J> A = job_arg_t<J>, class R = job_result_t<J>>
  AsyncResult<R> apply_async(const JL& job, A&& arg,
                             std::type_identity_t<std::function<void(const R&)>> on_success = {},
                             std::function<void(const RemoteError&)> on_error = {}) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    auto state = std::make_shared<detail::CollectState>(1);
    constexpr auto decode = [](std::vector<TaskResult>& all) { return Codec<R>::decode(all[0].payload); };
    attach_callbacks<R>(*state, entry->name, +decode, std::move(on_success), std::move(on_error));
    core_->submit(call(entry, single_source<J>(static_cast<job_arg_t<J>>(std::forward<A>(arg))),
                       core_->async_chunksize(), state));
    return AsyncResult<R>(core_, std::move(state), entry->name, +decode);
  }

  /// Every task, results in request order (tasks scattered by a collective,
  /// results of any size back as they finish); throws the first failed task's
  /// RemoteError. chunksize 0: chunks of ~1/256 of each worker's share, dealt zig-zag.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  std::vector<job_result_t<J>> map(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    if constexpr (std::is_default_constructible_v<job_result_t<J>>) {
      MapValues<job_result_t<J>> all = map_values(job, std::forward<Args>(args), chunksize);
      if (!all.errors.empty()) throw all.errors.front();
      return std::move(all.values);
    } else {
      return submit_map<J>(job, std::forward<Args>(args), chunksize, {}, {}, true).get();
    }
  }
  /// As map, but a failed task does not throw: every value by position, and
  /// the failed tasks' positions and errors. The master holds little more
  /// than the values (map_outcomes keeps a TaskOutcome per task).
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args, class R = job_result_t<J>>
  requires std::is_default_constructible_v<R> MapValues<R> map_values(const JL& job, Args&& args,
                                                                      std::uint64_t chunksize = 0) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    auto state = std::make_shared<detail::ValuesState<R>>();
    core_->submit_map(call(entry, make_source<J>(std::forward<Args>(args)), chunksize, state), true);
    core_->wait_until([&state] { return state->complete(); });
    if (state->error()) std::rethrow_exception(state->error());
    MapValues<R> out;
    out.values = std::move(state->values());
    for (const TaskResult& failure : state->failures()) {
      out.failed.push_back(failure.position);
      out.errors.emplace_back(core_->failure_of(failure, entry->name));
    }
    return out;
  }
  /// As map, for a job of several parameters over tuples of arguments.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  std::vector<job_result_t<J>> starmap(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    return map(job, std::forward<Args>(args), chunksize);
  }
  /// As map, but every task's outcome (value or RemoteError), failures included.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  std::vector<TaskOutcome<job_result_t<J>>> map_outcomes(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    return submit_map<J>(job, std::forward<Args>(args), chunksize, {}, {}, true).outcomes();
  }

  /// As map, but returns at once: the workers run the tasks while the caller
  /// does other work; get() waits for the rest.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args, class R = job_result_t<J>>
  AsyncResult<std::vector<R>> map_async(
      const JL& job, Args&& args, std::uint64_t chunksize = 0,
      std::type_identity_t<std::function<void(const std::vector<R>&)>> on_success = {},
      std::function<void(const RemoteError&)> on_error = {}) {
    return submit_map<J>(job, std::forward<Args>(args), chunksize, std::move(on_success), std::move(on_error), false);
  }
  /// As map_async, for tuples of arguments; the same callbacks.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args, class R = job_result_t<J>>
  AsyncResult<std::vector<R>> starmap_async(
      const JL& job, Args&& args, std::uint64_t chunksize = 0,
      std::type_identity_t<std::function<void(const std::vector<R>&)>> on_success = {},
      std::function<void(const RemoteError&)> on_error = {}) {
    return map_async(job, std::forward<Args>(args), chunksize, std::move(on_success), std::move(on_error));
  }

  /// Results in request order as they become available; chunks handed out
  /// dynamically. chunksize 0: sized from measured task times (a few ms of
  /// work per hand-out), shrinking toward the end.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  ResultStream<job_result_t<J>> imap(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    return stream<J>(job, std::forward<Args>(args), chunksize, true);
  }

  /// Results in the order they finish; chunks handed out dynamically
  /// (chunksize 0: as imap).
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  ResultStream<job_result_t<J>> imap_unordered(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    return stream<J>(job, std::forward<Args>(args), chunksize, false);
  }

  /// Refuses new work through this handle from now on; what is queued still runs.
  void close() noexcept { closed_ = true; }
  /// Waits for every task of this handle; call close() or terminate() first, as in Python.
  void join() {
    if (!closed_) throw UsageError("join() needs close() or terminate() first");
    core_->wait_until([this] { return !core_->busy(owner_); });
  }
  /// Stops this handle's work: the tasks not started (a map's scattered ones
  /// included) are dropped, the results of running ones will be dropped, and
  /// every pending result fails with "pool terminated" now; then closed.
  /// Returns at once. The workers are told: they skip this handle's tasks
  /// they hold and have not started, and a running task whose job takes a
  /// std::stop_token sees its stop requested; any other running task goes
  /// on until it ends (C++ cannot stop a thread), and finish() waits for it
  /// at most SessionOptions::finish_grace_seconds.
  void terminate() {
    closed_ = true;
    core_->terminate(owner_);
  }
  /// Drops this handle's tasks not yet handed out (their results fail with
  /// "pool terminated") and waits for those already running; the pool stays open.
  void cancel() {
    core_->cancel_queued(owner_);
    core_->wait_until([this] { return !core_->busy(owner_); });
  }
  bool closed() const noexcept { return closed_; }

  /// Waits until `done()` or the timeout; false if the timeout passed first.
  /// `done` is called under the pool's lock (results cannot change while it
  /// runs): keep it short, and do not call the pool from it.
  bool wait_until(const std::function<bool()>& done,
                  std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    return core_->wait_until(done, detail::deadline_after(timeout));
  }
  /// Where a rank runs (0 is the master).
  RankLocation rank_location(int rank) const { return RankLocation{core_->rank_host(rank), core_->rank_pid(rank)}; }
  /// Where the time went since the first hand-out, every handle's work
  /// together: each worker's busy share, the master's engine thread's share
  /// of a core, hand-outs and result bytes (see PoolStats).
  PoolStats stats() const { return core_->stats(); }

 private:
  void check_open() const {
    if (closed_) throw UsageError("pool is closed");
  }
  friend class Session;
  friend struct detail::PoolHooks;
  explicit Pool(std::shared_ptr<detail::Core> core)
      : core_(std::move(core)), owner_(core_->new_owner()), workers_(core_->world_workers()) {}

  detail::CallRequest call(detail::JobPtr job, std::unique_ptr<detail::TaskSource> tasks, std::uint64_t chunksize,
                           std::shared_ptr<ResultSink> sink) const {
    return detail::CallRequest{std::move(job), std::move(tasks), chunksize, std::move(sink), owner_, workers_};
  }
  template <Job J>
  detail::JobPtr entry_of(const J& job) {
    return core_->load_job(J::name, save_params(job));
  }
  template <Job J>
  detail::JobPtr entry_of(const LoadedJob<J>& job) {
    return job.entry;
  }
  template <class J, class Args>
  static std::unique_ptr<detail::TaskSource> make_source(Args&& args) {
    if constexpr (takes_index<J> && std::is_convertible_v<Args, TaskSet>) {
      return std::make_unique<detail::IndexSource>(TaskSet(std::forward<Args>(args)));
    } else {
      auto view = std::views::all(std::forward<Args>(args));
      return std::make_unique<detail::RangeSource<job_arg_t<J>, decltype(view), takes_index<J>>>(std::move(view));
    }
  }
  template <class J>
  static std::unique_ptr<detail::TaskSource> single_source(const job_arg_t<J>& arg) {
    if constexpr (takes_index<J>)
      return std::make_unique<detail::IndexSource>(TaskSet::range(arg, 1));
    else
      return std::make_unique<detail::RangeSource<job_arg_t<J>, std::ranges::single_view<job_arg_t<J>>, false>>(
          std::ranges::single_view<job_arg_t<J>>(arg));
  }
  template <class J, class JL, class Args, class R = job_result_t<J>>
  AsyncResult<std::vector<R>> submit_map(const JL& job, Args&& args, std::uint64_t chunksize,
                                         std::function<void(const std::vector<R>&)> on_success,
                                         std::function<void(const RemoteError&)> on_error, bool blocking) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    auto source = make_source<J>(std::forward<Args>(args));
    auto state = std::make_shared<detail::CollectState>();
    constexpr auto decode = [](std::vector<TaskResult>& all) { return decode_values<R>(all); };
    attach_callbacks<std::vector<R>>(*state, entry->name, +decode, std::move(on_success), std::move(on_error));
    core_->submit_map(call(entry, std::move(source), chunksize, state), blocking);
    return AsyncResult<std::vector<R>>(core_, std::move(state), entry->name, +decode);
  }
  template <class J, class JL, class Args>
  ResultStream<job_result_t<J>> stream(const JL& job, Args&& args, std::uint64_t chunksize, bool ordered) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    const std::uint64_t window = std::max<std::uint64_t>(
        1024, 8 * std::max<std::uint64_t>(chunksize, 1) * static_cast<std::uint64_t>(std::max(workers(), 1)));
    auto state = std::make_shared<detail::StreamState>(ordered, window);
    core_->submit(call(entry, make_source<J>(std::forward<Args>(args)), chunksize, state));
    return ResultStream<job_result_t<J>>(core_, std::move(state), entry->name);
  }
  template <class R>
  static std::vector<R> decode_values(std::vector<TaskResult>& all) {
    std::vector<R> out;
    out.reserve(all.size());
    for (TaskResult& result : all) {
      if constexpr (std::is_same_v<R, std::string>)
        out.push_back(std::move(result.payload));  // bytes as they came: no copy
      else
        out.push_back(Codec<R>::decode(result.payload));
    }
    return out;
  }
  template <class R>
  std::vector<R> decode_all(std::vector<TaskResult>& all, const std::string& job) const {
    for (const TaskResult& result : all)
      if (!result.ok) throw RemoteError(core_->failure_of(result, job));
    return decode_values<R>(all);
  }
  template <class T>
  void attach_callbacks(detail::CollectState& state, const std::string& job, T (*decode)(std::vector<TaskResult>&),
                        std::function<void(const T&)> on_success, std::function<void(const RemoteError&)> on_error) {
    if (!on_success && !on_error) return;
    // The engine's thread runs these; a callback's exception must not end it.
    state.on_complete = [core = core_.get(), job, decode, on_success, on_error](std::vector<TaskResult>& all) {
      detail::run_callback([&] {
        for (const TaskResult& result : all) {
          if (!result.ok) {
            if (on_error) on_error(RemoteError(core->failure_of(result, job)));
            return;
          }
        }
        if (on_success) on_success(decode(all));
      });
    };
    // The call's input failed on the master: the error callback hears of it as a failure on rank 0.
    state.on_error = [core = core_.get(), job, on_error](const std::exception_ptr& error) {
      if (!on_error) return;
      detail::run_callback([&] {
        on_error(RemoteError(TaskFailure{job, 0, 0, core->rank_host(0), detail::describe(error), {}}));
      });
    };
  }

  std::shared_ptr<detail::Core> core_;
  std::uint64_t owner_ = 0;
  int workers_ = 0;
  bool closed_ = false;
};

}  // namespace rankpool
