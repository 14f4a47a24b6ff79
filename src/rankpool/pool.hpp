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
#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/task_source.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/outcome.hpp"
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

namespace detail {

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

/// The pool of workers, driven from the master. Every call takes the tasks'
/// arguments, which travel with their tasks; the job's parameters go to each
/// worker once.
///
/// | call               | returns             | how it runs                                              |
/// |--------------------|---------------------|----------------------------------------------------------|
/// | serial             | vector<R>           | on the master, one after another                         |
/// | apply              | R                   | one task on the next worker; blocks                      |
/// | apply_async        | AsyncResult<R>      | queued; workers with room take the next tasks            |
/// | map, starmap       | vector<R>           | tasks scattered (MPI collective), results as they finish |
/// | map_outcomes       | vector<TaskOutcome> | the same, every task's value or error                    |
/// | map_async          | AsyncResult<vec<R>> | the same with a nonblocking scatter                      |
/// | imap               | ResultStream<R>     | dynamic chunks, results in request order, bounded memory |
/// | imap_unordered     | ResultStream<R>     | dynamic chunks, results as they finish                   |
///
/// A task that throws comes back as RemoteError from get(), next() or the
/// blocking call; the worker lives on. With no workers (one rank) a thread on
/// the master runs the tasks.
class Pool {
 public:
  /// A handle on the engine's workers. Copies are handles of their own: close() on one
  /// leaves the others open, as separate Python pools would be.
  explicit Pool(detail::Engine& engine) : engine_(&engine) {}

  /// Workers this pool hands tasks to.
  int workers() const noexcept { return engine_->pool_size(); }
  /// Uses the first `workers` workers only (`--pool K`); the rest stay idle.
  /// Throws UsageError if more are asked for than run.
  void resize(int workers) { engine_->set_pool_size(workers); }
  /// Prints which rank (host, pid) starts and finishes each task, on stderr.
  void set_trace(bool trace) { engine_->set_trace(trace); }
  /// Chunks in flight per worker, so a worker never waits for its next one
  /// (0, the default: as many as cover a few ms of measured task time).
  void set_depth(int depth) { engine_->set_depth(depth); }
  /// Tasks per hand-out of queued apply_async calls: 0 (the default) sizes
  /// hand-outs from measured task times, several calls of one job per
  /// message; 1 sends each call on its own.
  void set_async_chunksize(std::uint64_t chunksize) { engine_->set_async_chunksize(chunksize); }
  /// How the master and the workers wait (see WaitPolicy; default kAuto, or
  /// the environment's `RANKPOOL_WAIT`).
  void set_wait_policy(WaitPolicy policy) { engine_->set_wait_policy(policy); }
  /// The policy in force: kBlock or kBackoff (kAuto decided).
  WaitPolicy wait_policy() const noexcept { return engine_->wait_policy(); }
  /// Sees every task's outcome as it arrives (rank, times, errors), before the call does.
  void set_observer(std::function<void(const TaskResult&, const std::string& job)> observer) {
    engine_->set_observer(std::move(observer));
  }
  /// Runs on every round of any wait on the pool (get(), next(), join(), ...);
  /// may throw to end that wait. Used to act on signals between rounds.
  void set_wait_hook(std::function<void()> hook) { engine_->set_wait_hook(std::move(hook)); }
  /// A worker that holds work and sends nothing for `seconds` ends the wait
  /// with StallError (0: never).
  void set_task_timeout(double seconds) { engine_->set_task_timeout(seconds); }

  /// Python's map chunksize, ceil(tasks / (4 * workers)), for callers that
  /// want it; rankpool's own default (chunksize 0) deals smaller chunks zig-zag.
  std::uint64_t default_chunksize(std::uint64_t tasks) const noexcept {
    const std::uint64_t spread = 4 * static_cast<std::uint64_t>(std::max(workers(), 1));
    return std::max<std::uint64_t>(1, (tasks + spread - 1) / spread);
  }

  /// Loads a job value once; calls that take the handle skip saving its parameters.
  template <Job J>
  LoadedJob<J> load(const J& job) {
    return LoadedJob<J>{engine_->load_job(J::name, save_params(job))};
  }

  /// Runs the tasks on the master, in order. Blocking; no MPI.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  std::vector<job_result_t<J>> serial(const JL& job, Args&& args) {
    const detail::JobPtr entry = entry_of(job);
    detail::CollectState state;
    auto source = make_source<J>(std::forward<Args>(args));
    engine_->run_inline(entry, *source, state);
    return decode_all<job_result_t<J>>(state.results(), entry->name);
  }

  /// Runs one task on a worker and waits for it (blocking point-to-point).
  template <JobLike JL, class J = job_of_t<JL>>
  job_result_t<J> apply(const JL& job, const job_arg_t<J>& arg) {
    return apply_async(job, arg).get();
  }

  /// Queues one task; an idle worker takes it. Callbacks run on the master
  /// inside a later wait, as in Python: `on_success(value)` or `on_error(error)`.
  /// A callback may submit more work but must not wait on the pool.
  template <JobLike JL, class J = job_of_t<JL>, class R = job_result_t<J>>
  AsyncResult<R> apply_async(const JL& job, const job_arg_t<J>& arg,
                             std::type_identity_t<std::function<void(const R&)>> on_success = {},
                             std::function<void(const RemoteError&)> on_error = {}) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    auto state = std::make_shared<detail::CollectState>(1);
    constexpr auto decode = [](std::vector<TaskResult>& all) { return Codec<R>::decode(all[0].payload); };
    attach_callbacks<R>(*state, entry->name, +decode, std::move(on_success), std::move(on_error));
    engine_->submit(entry, single_source<J>(arg), engine_->async_chunksize(), state);
    return AsyncResult<R>(*engine_, std::move(state), entry->name, +decode);
  }

  /// Every task, results in request order (tasks scattered by a collective,
  /// blocking under WaitPolicy::kBlock; results of any size back as they
  /// finish); throws the first failed task's RemoteError. chunksize 0: chunks
  /// of ~1/256 of each worker's share, dealt zig-zag.
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
    requires std::is_default_constructible_v<R>
  MapValues<R> map_values(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    auto state = std::make_shared<detail::ValuesState<R>>();
    engine_->submit_map(entry, make_source<J>(std::forward<Args>(args)), chunksize, state, true);
    engine_->wait_until([&state] { return state->complete(); });
    MapValues<R> out;
    out.values = std::move(state->values());
    for (const TaskResult& failure : state->failures()) {
      out.failed.push_back(failure.position);
      out.errors.emplace_back(engine_->failure_of(failure, entry->name));
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

  /// As map, but returns at once: the collectives complete while the master
  /// does other work and finish in get().
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args, class R = job_result_t<J>>
  AsyncResult<std::vector<R>> map_async(const JL& job, Args&& args, std::uint64_t chunksize = 0,
                                        std::type_identity_t<std::function<void(const std::vector<R>&)>> on_success = {},
                                        std::function<void(const RemoteError&)> on_error = {}) {
    return submit_map<J>(job, std::forward<Args>(args), chunksize, std::move(on_success), std::move(on_error), false);
  }
  /// As map_async, for tuples of arguments.
  template <JobLike JL, class J = job_of_t<JL>, TaskArgs<J> Args>
  auto starmap_async(const JL& job, Args&& args, std::uint64_t chunksize = 0) {
    return map_async(job, std::forward<Args>(args), chunksize);
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

  /// Refuses new work from now on; what is queued still runs.
  void close() noexcept { closed_ = true; }
  /// Waits for every queued task; call close() or terminate() first, as in Python.
  void join() {
    if (!closed_) throw UsageError("join() needs close() or terminate() first");
    engine_->wait_until([this] { return !engine_->busy(); });
  }
  /// Drops the tasks not yet handed out (their results fail with "pool
  /// terminated") and waits for those already running; then closed.
  void terminate() {
    closed_ = true;
    cancel();
  }
  /// As terminate(), but the pool stays open for new work.
  void cancel() {
    engine_->cancel_queued();
    engine_->wait_until([this] { return !engine_->busy(); });
  }
  bool closed() const noexcept { return closed_; }

  /// Drives the pool (with backoff) until `done()`; false if the timeout passed first.
  bool wait_until(const std::function<bool()>& done,
                  std::optional<std::chrono::duration<double>> timeout = std::nullopt) {
    return engine_->wait_until(done, detail::deadline_after(timeout));
  }
  /// The host and pid of a rank (0 is the master).
  const detail::RankInfo& rank_info(int rank) const { return engine_->rank_info(rank); }
  /// Where and why a result failed.
  TaskFailure failure_of(const TaskResult& result, const std::string& job) const {
    return engine_->failure_of(result, job);
  }

 private:
  void check_open() const {
    if (closed_) throw UsageError("pool is closed");
  }
  template <Job J>
  detail::JobPtr entry_of(const J& job) {
    return engine_->load_job(J::name, save_params(job));
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
    engine_->submit_map(entry, std::move(source), chunksize, state, blocking);
    return AsyncResult<std::vector<R>>(*engine_, std::move(state), entry->name, +decode);
  }
  template <class J, class JL, class Args>
  ResultStream<job_result_t<J>> stream(const JL& job, Args&& args, std::uint64_t chunksize, bool ordered) {
    check_open();
    const detail::JobPtr entry = entry_of(job);
    const std::uint64_t window = std::max<std::uint64_t>(
        1024, 8 * std::max<std::uint64_t>(chunksize, 1) * static_cast<std::uint64_t>(std::max(workers(), 1)));
    auto state = std::make_shared<detail::StreamState>(ordered, window);
    engine_->submit(entry, make_source<J>(std::forward<Args>(args)), chunksize, state);
    return ResultStream<job_result_t<J>>(*engine_, std::move(state), entry->name);
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
      if (!result.ok) throw RemoteError(engine_->failure_of(result, job));
    return decode_values<R>(all);
  }
  template <class T>
  void attach_callbacks(detail::CollectState& state, const std::string& job, T (*decode)(std::vector<TaskResult>&),
                        std::function<void(const T&)> on_success, std::function<void(const RemoteError&)> on_error) {
    if (!on_success && !on_error) return;
    state.on_complete = [engine = engine_, job, decode, on_success = std::move(on_success),
                         on_error = std::move(on_error)](std::vector<TaskResult>& all) {
      for (const TaskResult& result : all) {
        if (!result.ok) {
          if (on_error) on_error(RemoteError(engine->failure_of(result, job)));
          return;
        }
      }
      if (on_success) on_success(decode(all));
    };
  }

  detail::Engine* engine_;
  bool closed_ = false;
};

}  // namespace rankpool
