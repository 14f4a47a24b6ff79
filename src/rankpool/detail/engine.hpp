#pragma once
/// \file
/// The master's side of the protocol: hands chunks of tasks to idle workers,
/// runs map's collectives, and delivers what comes back to sinks.

#include <mpi.h>

#include <boost/container/small_vector.hpp>
#include <boost/mpi/communicator.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rankpool/backoff.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/task_result.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/schedule.hpp"
#include "rankpool/detail/task_source.hpp"
#include "rankpool/detail/transport.hpp"

namespace rankpool::detail {

class Executor;
class LocalWorker;

/// The CPUs this process may run on, as a bit mask in 64-bit words.
std::vector<std::uint64_t> affinity_words();

/// A rank's host and pid, gathered once when the session starts, and the
/// CPUs it may run on (WaitPolicy::kAuto counts them per host).
struct RankInfo {
  std::string host;
  long pid = 0;
  std::vector<std::uint64_t> cpus = affinity_words();
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive & host & pid & cpus;
  }
};

/// kBlock if on every host the ranks there are no more than the CPUs they
/// may run on together, else kBackoff (what WaitPolicy::kAuto becomes).
WaitPolicy auto_wait_policy(const std::vector<RankInfo>& ranks);

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

class Engine {
 public:
  Engine(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Workers in the whole world (ranks 1..P-1).
  int world_workers() const noexcept { return static_cast<int>(ranks_.size()) - 1; }
  /// Workers this pool uses: the first `pool_size()` of them.
  int pool_size() const noexcept { return pool_size_; }
  void set_pool_size(int workers);
  /// Chunks kept in flight per worker (0, the default: as many as cover
  /// kPrefetchSeconds of estimated work, at least two while nothing is known).
  void set_depth(int depth) { depth_ = depth < 0 ? 0 : depth; }
  /// Tasks per hand-out of queued apply_async calls (0, the default: sized
  /// from task times, several calls of one job per message).
  void set_async_chunksize(std::uint64_t chunksize) { async_chunksize_ = chunksize; }
  std::uint64_t async_chunksize() const noexcept { return async_chunksize_; }
  /// How the master and the workers wait (kAuto: decided from ranks per host
  /// against their CPUs). Tells the workers.
  void set_wait_policy(WaitPolicy policy);
  /// The policy in force: kBlock or kBackoff.
  WaitPolicy wait_policy() const noexcept { return policy_; }
  void set_trace(bool trace) { trace_ = trace; }
  /// Called with every result that arrives (not with cancelled ones), before its call sees it.
  void set_observer(std::function<void(const TaskResult&, const std::string& job)> observer) {
    observer_ = std::move(observer);
  }
  /// Called on every round of a wait; may throw to end the wait.
  void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }
  /// A worker that holds work and sends nothing for this long fails the wait
  /// with StallError (0: never).
  void set_task_timeout(double seconds) { task_timeout_ = seconds; }

  /// The job with this name and parameters, loaded once while anyone holds it.
  JobPtr load_job(std::string_view name, std::string params);

  /// Hands the tasks out dynamically to workers with room, `chunksize` at a
  /// time (0: sized from task times, shrinking toward the end).
  void submit(JobPtr job, std::unique_ptr<TaskSource> tasks, std::uint64_t chunksize, std::shared_ptr<ResultSink> sink);
  /// Scatters the tasks with a collective, `chunksize`-task chunks dealt
  /// zig-zag (0: ~kMapChunksPerWorker per worker); each worker sends its
  /// results back as they finish. `blocking`: a synchronous call, which under
  /// WaitPolicy::kBlock scatters with the blocking MPI_Scatterv.
  void submit_map(JobPtr job, std::unique_ptr<TaskSource> tasks, std::uint64_t chunksize,
                  std::shared_ptr<ResultSink> sink, bool blocking = false);
  /// Runs the tasks on the master itself, now.
  void run_inline(const JobPtr& job, TaskSource& tasks, ResultSink& sink);

  /// One non-blocking round of receiving and handing out; true if anything moved.
  bool progress();
  /// Progresses, with backoff, until `done()` or the deadline; false on timeout.
  bool wait_until(const std::function<bool()>& done, Deadline deadline = std::nullopt);
  /// Whether tasks are queued, out on workers, or in a collective.
  bool busy() const noexcept;
  /// Drops the tasks not yet handed out; their sinks get a "terminated" failure.
  void cancel_queued();
  /// Waits for everything out to come back, then releases every worker with `exit_code`.
  void stop_workers(int exit_code);
  /// For a failing end, from any state (even inside a round): drops what is
  /// queued, waits for what is out, releases the workers.
  void abandon(int exit_code);

  TaskFailure failure_of(const TaskResult& result, const std::string& job) const;
  const RankInfo& rank_info(int rank) const { return ranks_.at(static_cast<std::size_t>(rank)); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Batch;
  struct MapOp;
  struct Slot {
    int rank = 0;
    int in_flight = 0;        // chunks (or map shares) out
    int unestimated = 0;      // of those, chunks whose job had no time estimate
    std::uint64_t stream_tasks = 0;  // tasks out of jobs that hold several at once
    double queued = 0;        // estimated seconds of work out
    std::unordered_set<std::uint64_t> jobs;
    std::deque<std::uint64_t> first_index;  // of each chunk out, oldest first
    Clock::time_point last_heard{};
  };
  /// Some tasks of one batch inside a chunk.
  struct Segment {
    std::shared_ptr<Batch> batch;
    std::uint64_t first = 0;  // position in the batch's call
    std::uint64_t count = 0;
  };
  /// What one kTasks message carried (tasks of one job from one or more
  /// batches, in order), or a worker's share of a map.
  using Segments = boost::container::small_vector<Segment, 1>;  // one, but for merged apply_async calls
  struct Chunk {
    Segments segments;
    std::shared_ptr<MapOp> map;
    std::optional<ZigZagCursor> cursor;  // map: the position of the share's next result
    std::uint64_t job_id = 0;
    std::uint64_t left = 0;  // tasks not back yet
    std::size_t slot = 0;
    double per_task = 0;     // the estimate the slot's queue was charged with
    bool estimated = false;
    bool concurrent = false;  // its job holds several tasks at once (counted in stream_tasks)
  };

  std::size_t first_slot() const noexcept { return pool_size_ == 0 ? 0 : 1; }
  std::size_t end_slot() const noexcept { return pool_size_ == 0 ? 1 : static_cast<std::size_t>(pool_size_) + 1; }
  void send(Slot& slot, int tag, std::string message);
  void ensure_job(Slot& slot, const JobEntry& job);
  void forget_retired();
  bool receive_results();
  void take_results(std::string_view message, int rank, Clock::time_point now);
  /// Leases slots of a RateBudget's timeline to a worker (kLease -> kGrant).
  void answer_lease(std::string_view message, int rank);
  using ChunkMap = std::unordered_map<std::uint64_t, Chunk>;
  void settle(ChunkMap::iterator found, std::uint64_t tasks, Clock::time_point now);
  bool hand_out();
  Slot* pick_slot(Clock::time_point now, int concurrency);
  bool has_room(const Slot& slot, Clock::time_point now, int concurrency) const;
  double queued_work(const Slot& slot, Clock::time_point now) const;
  std::optional<double> half_smallest_queue() const;
  std::optional<double> planned_sleep() const;
  std::optional<double> per_task(std::uint64_t job_id) const;
  void add_chunk(std::uint64_t chunk_id, Chunk chunk, std::uint64_t first_position, Clock::time_point now);
  bool progress_maps();
  void start_map(const std::shared_ptr<MapOp>& op);
  std::uint64_t deal_indices(MapOp& op, std::uint64_t total, std::uint64_t deal, std::vector<std::uint64_t>& counts);
  std::uint64_t deal_tasks(MapOp& op, std::uint64_t limit, std::uint64_t deal, std::vector<std::uint64_t>& counts);
  void check_stalls() const;

  boost::mpi::communicator comm_;
  const JobRegistry& registry_;
  std::vector<RankInfo> ranks_;
  int pool_size_ = 0;
  int depth_ = 0;
  std::uint64_t async_chunksize_ = 0;
  WaitPolicy policy_ = WaitPolicy::kBackoff;
  bool trace_ = false;
  double task_timeout_ = 0;
  Outbox outbox_;
  std::unique_ptr<LocalWorker> local_;
  std::unique_ptr<Executor> inline_;
  std::unordered_set<std::uint64_t> inline_jobs_;
  std::function<void(const TaskResult&, const std::string&)> observer_;
  std::function<void()> wait_hook_;

  std::uint64_t next_job_id_ = 1;
  std::unordered_map<std::string, std::weak_ptr<const JobEntry>> jobs_by_key_;
  std::deque<JobPtr> recent_jobs_;  // kept loaded a while, so a loop over one job value sends it once
  std::shared_ptr<std::vector<std::pair<std::uint64_t, std::string>>> retired_;

  std::vector<Slot> slots_;  // 0: the master's stand-in thread; r: rank r
  std::deque<std::shared_ptr<Batch>> queue_;
  std::uint64_t queued_known_ = 0;    // tasks left in queued batches whose size is known
  std::uint64_t queued_unsized_ = 0;  // queued batches whose size is not
  std::unordered_map<std::uint64_t, TaskClock> clocks_;  // by job id
  ChunkMap chunks_;
  std::string inbox_;  // receives one-piece result messages
  std::uint64_t remote_chunks_ = 0;
  std::uint64_t local_chunks_ = 0;
  std::uint64_t next_chunk_ = 1;
  std::deque<std::shared_ptr<MapOp>> maps_;
  Collectives collectives_;
  std::size_t next_slot_ = 0;
  std::size_t last_chosen_ = 0;  // the slot of the last hand-out, and how many
  int warm_run_ = 0;             // it took in a row while idle
  Clock::time_point next_receive_{};  // submit() looks for results from then on
  bool in_progress_ = false;
};

}  // namespace rankpool::detail
