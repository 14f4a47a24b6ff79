#pragma once
/// \file
/// Pool: Python's multiprocessing.Pool over MPI ranks. Lives on the master
/// (rank 0); get one from a Session.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rankpool/async_result.hpp"
#include "rankpool/codec.hpp"
#include "rankpool/detail/engine.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/result_stream.hpp"
#include "rankpool/task_set.hpp"

namespace rankpool {

/// A job whose parameters the pool holds; each worker receives them once.
struct JobHandle {
  std::uint64_t id = 0;
};

/// The pool of workers, driven from the master. Every call hands out task
/// *indices*; workers rebuild each task from the job's parameters.
///
/// | call             | returns             | how it runs                                              |
/// |------------------|---------------------|----------------------------------------------------------|
/// | serial           | vector<R>           | on the master, one after another                         |
/// | apply            | R                   | one task on the next worker; blocks                      |
/// | apply_async      | AsyncResult<R>      | queued; idle workers take the next task                  |
/// | map              | vector<R>           | indices scattered, results gathered (MPI collectives)    |
/// | map_async        | AsyncResult<vec<R>> | the same with nonblocking collectives                    |
/// | imap             | ResultStream<R>     | dynamic chunks, results in request order, bounded memory |
/// | imap_unordered   | ResultStream<R>     | dynamic chunks, results as they finish                   |
///
/// A task that throws comes back as RemoteError from get(), next() or the
/// blocking call; the worker lives on. With no workers (one rank) every call
/// runs its tasks on the master.
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
  /// Chunks in flight per worker (default 2), so a worker never waits for its next one.
  void set_depth(int depth) { engine_->set_depth(depth); }

  /// Python's default map chunksize: ceil(tasks / (4 * workers)).
  std::uint64_t default_chunksize(std::uint64_t tasks) const noexcept {
    const std::uint64_t spread = 4 * static_cast<std::uint64_t>(std::max(workers(), 1));
    return std::max<std::uint64_t>(1, (tasks + spread - 1) / spread);
  }

  /// Sends nothing yet: registers the job's parameters, once per distinct value.
  template <Job J>
  JobHandle load(const J& job) {
    return JobHandle{engine_->load_job(std::string(J::name), save_params(job))};
  }
  /// The same for a job known by name and saved parameters.
  JobHandle load(const std::string& name, const std::string& params) {
    return JobHandle{engine_->load_job(name, params)};
  }

  /// Runs the tasks on the master, in order. Blocking; no MPI.
  template <Job J>
  std::vector<job_result_t<J>> serial(const J& job, TaskSet tasks) {
    const JobHandle handle = load(job);
    detail::CollectState state(tasks.size());
    engine_->run_local(handle.id, tasks, state);
    return decode_all<job_result_t<J>>(state.results(), handle.id);
  }

  /// Runs one task on a worker and waits for it (blocking point-to-point).
  template <Job J>
  job_result_t<J> apply(const J& job, std::uint64_t index) {
    return apply_async(job, index).get();
  }

  /// Queues one task; an idle worker takes it. Callbacks run on the master
  /// inside a later wait, as in Python: `on_success(value)` or `on_error(error)`.
  /// A callback may submit more work but must not wait on the pool.
  template <Job J>
  AsyncResult<job_result_t<J>> apply_async(const J& job, std::uint64_t index,
                                           std::function<void(const job_result_t<J>&)> on_success = {},
                                           std::function<void(const RemoteError&)> on_error = {}) {
    using R = job_result_t<J>;
    const JobHandle handle = load(job);
    auto state = submit_dynamic(handle, TaskSet::range(index, 1), 1);
    attach_callbacks<R>(*state, handle, [](std::vector<TaskResult>& all) { return Codec<R>::decode(all[0].payload); },
                        std::move(on_success), std::move(on_error));
    return AsyncResult<R>(*engine_, state, handle.id,
                          [](std::vector<TaskResult>& all) { return Codec<R>::decode(all[0].payload); });
  }

  /// Every task, results in request order (blocking collectives: indices
  /// scattered, results of any size gathered). chunksize 0: Python's default.
  template <Job J>
  std::vector<job_result_t<J>> map(const J& job, TaskSet tasks, std::uint64_t chunksize = 0) {
    return map_async(job, std::move(tasks), chunksize).get();
  }

  /// As map, but returns at once: the collectives complete while the master
  /// does other work and finish in get().
  template <Job J>
  AsyncResult<std::vector<job_result_t<J>>> map_async(
      const J& job, TaskSet tasks, std::uint64_t chunksize = 0,
      std::function<void(const std::vector<job_result_t<J>>&)> on_success = {},
      std::function<void(const RemoteError&)> on_error = {}) {
    using R = job_result_t<J>;
    const JobHandle handle = load(job);
    auto state = submit_collective(handle, std::move(tasks), chunksize);
    auto decode = [this, handle](std::vector<TaskResult>& all) { return decode_all<R>(all, handle.id); };
    attach_callbacks<std::vector<R>>(*state, handle, decode, std::move(on_success), std::move(on_error));
    return AsyncResult<std::vector<R>>(*engine_, state, handle.id, decode);
  }

  /// Results in request order as they become available; chunks handed out dynamically.
  template <Job J>
  ResultStream<job_result_t<J>> imap(const J& job, TaskSet tasks, std::uint64_t chunksize = 1) {
    const JobHandle handle = load(job);
    return ResultStream<job_result_t<J>>(*engine_, submit_stream(handle, std::move(tasks), chunksize, true),
                                         handle.id);
  }

  /// Results in the order they finish; chunks handed out dynamically.
  template <Job J>
  ResultStream<job_result_t<J>> imap_unordered(const J& job, TaskSet tasks, std::uint64_t chunksize = 1) {
    const JobHandle handle = load(job);
    return ResultStream<job_result_t<J>>(*engine_, submit_stream(handle, std::move(tasks), chunksize, false),
                                         handle.id);
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

  // The untyped layer the command and the typed calls stand on: results stay bytes.

  /// Queues the tasks for dynamic hand-out; the state fills as results arrive.
  std::shared_ptr<detail::CollectState> submit_dynamic(JobHandle job, TaskSet tasks, std::uint64_t chunksize) {
    check_open();
    auto state = std::make_shared<detail::CollectState>(tasks.size());
    engine_->submit(job.id, std::move(tasks), chunksize, state);
    return state;
  }
  /// Queues the tasks for map's collectives.
  std::shared_ptr<detail::CollectState> submit_collective(JobHandle job, TaskSet tasks, std::uint64_t chunksize) {
    check_open();
    if (chunksize == 0) chunksize = default_chunksize(tasks.size());
    auto state = std::make_shared<detail::CollectState>(tasks.size());
    engine_->submit_map(job.id, std::move(tasks), chunksize, state);
    return state;
  }
  /// Queues the tasks for streaming; at most a window of results is out or held.
  std::shared_ptr<detail::StreamState> submit_stream(JobHandle job, TaskSet tasks, std::uint64_t chunksize,
                                                     bool ordered) {
    check_open();
    chunksize = std::max<std::uint64_t>(chunksize, 1);
    const std::uint64_t window =
        std::max<std::uint64_t>(1024, 8 * chunksize * static_cast<std::uint64_t>(std::max(workers(), 1)));
    auto state = std::make_shared<detail::StreamState>(tasks.size(), ordered, window);
    engine_->submit(job.id, std::move(tasks), chunksize, state);
    return state;
  }
  /// The untyped stream over a submitted state.
  ResultStream<std::string> stream(std::shared_ptr<detail::StreamState> state, JobHandle job) {
    return ResultStream<std::string>(*engine_, std::move(state), job.id);
  }
  /// Runs tasks on the master into a sink (the `serial` variant).
  void run_serial(JobHandle job, const TaskSet& tasks, ResultSink& sink) { engine_->run_local(job.id, tasks, sink); }
  /// Waits (with backoff) until `done()`.
  void wait_until(const std::function<bool()>& done) { engine_->wait_until(done); }
  /// Calls `hook` on every round of every wait (get(), next(), join(), ...);
  /// it may throw to abort that wait (the exception leaves the wait as is).
  /// An empty function removes it. Used to act on signals between rounds.
  void set_wait_hook(std::function<void()> hook) { engine_->set_wait_hook(std::move(hook)); }
  /// The host and pid of a rank (0 is the master).
  const detail::RankInfo& rank_info(int rank) const { return engine_->rank_info(rank); }
  /// Where and why a result failed.
  TaskFailure failure_of(const TaskResult& result, JobHandle job) const { return engine_->failure_of(result, job.id); }

 private:
  void check_open() const {
    if (closed_) throw UsageError("pool is closed");
  }
  template <class R>
  std::vector<R> decode_all(std::vector<TaskResult>& all, std::uint64_t job_id) const {
    std::vector<R> out;
    out.reserve(all.size());
    for (const TaskResult& result : all) {
      if (!result.ok) throw RemoteError(engine_->failure_of(result, job_id));
      out.push_back(Codec<R>::decode(result.payload));
    }
    return out;
  }
  template <class T, class Decode>
  void attach_callbacks(detail::CollectState& state, JobHandle job, Decode decode,
                        std::function<void(const T&)> on_success, std::function<void(const RemoteError&)> on_error) {
    if (!on_success && !on_error) return;
    state.on_complete = [this, job, decode, on_success = std::move(on_success),
                         on_error = std::move(on_error)](std::vector<TaskResult>& all) {
      for (const TaskResult& result : all) {
        if (!result.ok) {
          if (on_error) on_error(RemoteError(engine_->failure_of(result, job.id)));
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
