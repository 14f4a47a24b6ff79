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
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/core.hpp"
#include "rankpool/detail/host_topology.hpp"
#include "rankpool/detail/job_table.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/schedule.hpp"
#include "rankpool/detail/task_source.hpp"
#include "rankpool/detail/transport.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/pool_stats.hpp"
#include "rankpool/task_result.hpp"

namespace rankpool::detail {

class LocalWorker;
class TasksMessage;

class Engine {
 public:
  using Clock = std::chrono::steady_clock;
  /// `initializer`: run by the master's stand-in worker thread (no workers) before its first task.
  Engine(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks, JobTable& jobs,
         std::function<void()> initializer = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Workers in the whole world (ranks 1..P-1).
  int world_workers() const noexcept { return static_cast<int>(ranks_.size()) - 1; }
  /// Chunks kept in flight per worker (0, the default: as many as cover
  /// kPrefetchSeconds of estimated work, at least two while nothing is known).
  void set_depth(int depth) { depth_ = depth < 0 ? 0 : depth; }
  /// How the master and the workers wait (kAuto: decided from ranks per host
  /// against their CPUs). Tells the workers.
  void set_wait_policy(WaitPolicy policy);
  /// The policy in force: kBlock or kBackoff.
  WaitPolicy wait_policy() const noexcept { return policy_; }
  void set_trace(bool trace) { trace_ = trace; }
  /// Whether rank 0 runs tasks of the dynamic variants too, on its stand-in thread, beside the workers.
  void set_master_works(bool on) { master_works_ = on; }
  bool trace() const noexcept { return trace_; }
  /// Called with every result that arrives (not with cancelled ones), before its call sees it.
  void set_observer(std::function<void(const TaskResult&, const std::string& job)> observer) {
    observer_ = std::move(observer);
  }
  /// A worker that holds work and sends nothing for this long fails the
  /// caller's wait with StallError (0: never).
  void set_task_timeout(double seconds) { task_timeout_ = seconds; }
  double task_timeout() const noexcept { return task_timeout_; }

  /// Hands the tasks out dynamically to workers with room, `chunksize` at a
  /// time (0: sized from task times, shrinking toward the end).
  void submit(CallRequest call);
  /// Scatters the tasks with a collective, `chunksize`-task chunks dealt
  /// zig-zag (0: ~kMapChunksPerWorker per worker); each worker sends its
  /// results back as they finish. `blocking`: a synchronous call, which under
  /// WaitPolicy::kBlock scatters with the blocking MPI_Scatterv.
  void submit_map(CallRequest call, bool blocking = false);

  /// One non-blocking round of receiving and handing out; true if anything moved.
  bool progress();
  /// How long the loop may sleep before its next round: every worker holds
  /// enough queued work (results are taken on waking); nothing if it should poll.
  std::optional<double> planned_sleep() const;
  /// Whether tasks are queued, out on workers, or in a collective (of one handle, or of any).
  bool busy(std::optional<std::uint64_t> owner = std::nullopt) const noexcept;
  /// Whether all that is still out belongs to terminated calls (nothing queued).
  bool only_terminated_out() const noexcept;
  /// Drops the tasks of a handle (of every handle) not yet handed out; their calls end "terminated".
  void cancel_queued(std::optional<std::uint64_t> owner = std::nullopt);
  /// Ends a handle's (every handle's) calls whose tasks are out now: what
  /// has not come back fails "terminated" at once, and comes back unseen;
  /// the workers are told (kCancel) to skip those tasks not started yet and
  /// to request the stop of those running.
  void detach(std::optional<std::uint64_t> owner = std::nullopt);
  /// Throws StallError if a worker holds work and has sent nothing for the task timeout.
  void check_stalls() const;
  /// Each worker that holds tasks, with the index of the first.
  std::vector<std::pair<int, std::uint64_t>> running_tasks() const;
  /// Hands a result to the observer (the serial variant's results too).
  void observe(const TaskResult& result, const std::string& job) const {
    if (observer_) observer_(result, job);
  }
  /// Ends every rank of the run now (MPI_Abort) with `exit_code`.
  [[noreturn]] void abort(int exit_code) const;
  /// Releases every worker with `exit_code` (call once nothing is out) and waits until they have the message.
  void release_workers(int exit_code);

  TaskFailure failure_of(const TaskResult& result, const std::string& job) const;
  /// Where the time went since the first hand-out; master_busy_fraction is left to the caller.
  PoolStats stats(Clock::time_point now) const;
  const RankInfo& rank_info(int rank) const { return ranks_.at(static_cast<std::size_t>(rank)); }

 private:
  struct Batch;
  struct MapOp;
  struct Slot {
    int rank = 0;
    int in_flight = 0;               // chunks (or map shares) out
    int unestimated = 0;             // of those, chunks whose job had no time estimate
    std::uint64_t stream_tasks = 0;  // tasks out of jobs that hold several at once
    double queued = 0;               // estimated seconds of work out
    std::unordered_set<std::uint64_t> jobs;
    std::deque<std::uint64_t> first_index;  // of each chunk out, oldest first
    Clock::time_point last_heard{};
    std::uint64_t tasks_done = 0;  // results received (stats)
    double busy_seconds = 0;       // the spans its results messages cover (stats)
    // Its places in the engine's indexes (engine_slots.cpp).
    std::optional<std::list<std::size_t>::iterator> idle_entry;
    std::optional<std::multimap<Clock::time_point, std::size_t>::iterator> finish_entry;
    bool offered = false;
    bool counted_unestimated = false;
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
    double per_task = 0;  // the estimate the slot's queue was charged with
    bool estimated = false;
    bool concurrent = false;  // its job holds several tasks at once (counted in stream_tasks)
    bool detached = false;    // its call was terminated: results are settled, not delivered
    std::uint64_t owner = 0;
  };

  /// The slots a call over `pool_size` workers may use: the master's stand-in thread alone for none,
  /// and beside the workers when the master works too.
  std::size_t first_slot(int pool_size) const noexcept { return pool_size == 0 || master_works_ ? 0 : 1; }
  static std::size_t end_slot(int pool_size) noexcept {
    return pool_size == 0 ? 1 : static_cast<std::size_t>(pool_size) + 1;
  }
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
  /// Takes up to `want` tasks into `chunk` and `out`: from the batch at `batch_it` and the queued batches
  /// of the same call shape right after it (apply_async calls); drops the batches it empties.
  void fill_chunk(std::deque<std::shared_ptr<Batch>>::iterator batch_it, std::uint64_t want, Chunk& chunk,
                  TasksMessage& out);
  Slot* pick_slot(Clock::time_point now, int concurrency, int pool_size);
  bool has_room(const Slot& slot, Clock::time_point now, int concurrency) const;
  /// Puts a slot where its state says in the indexes (idle, or busy by when its work runs out).
  void reindex(std::size_t index);
  /// Queues a busy slot that may have room for the next hand-out.
  void offer(std::size_t index);
  double queued_work(const Slot& slot, Clock::time_point now) const;
  std::optional<double> half_smallest_queue() const;
  /// Ends a dynamic call whose input failed, once its handed-out tasks are accounted for.
  void fail_batch(Batch& batch);
  /// Fails the chunk's tasks not back yet as "terminated" and stops delivering its results.
  void detach_chunk(Chunk& chunk);
  std::optional<double> per_task(std::uint64_t job_id) const;
  void add_chunk(std::uint64_t chunk_id, Chunk chunk, std::uint64_t first_position, Clock::time_point now);
  bool progress_maps();
  void start_map(const std::shared_ptr<MapOp>& op);
  /// Tells each worker of a map its share (kMap) and books each share as a chunk whose results come a few at a time.
  void announce_shares(const std::shared_ptr<MapOp>& op, const std::vector<std::uint64_t>& counts, std::uint64_t deal);
  std::uint64_t deal_indices(MapOp& op, std::uint64_t total, std::uint64_t deal, std::vector<std::uint64_t>& counts);
  std::uint64_t deal_tasks(MapOp& op, std::uint64_t limit, std::uint64_t deal, std::vector<std::uint64_t>& counts);

  boost::mpi::communicator comm_;
  const JobRegistry& registry_;
  std::vector<RankInfo> ranks_;
  JobTable& jobs_;
  int depth_ = 0;
  WaitPolicy policy_ = WaitPolicy::kBackoff;
  bool trace_ = false;
  bool master_works_ = false;
  double task_timeout_ = 0;
  Outbox outbox_;
  std::unique_ptr<LocalWorker> local_;
  std::function<void(const TaskResult&, const std::string&)> observer_;
  std::function<void()> initializer_;

  std::vector<Slot> slots_;  // 0: the master's stand-in thread; r: rank r
  std::deque<std::shared_ptr<Batch>> queue_;
  std::uint64_t queued_known_ = 0;                       // tasks left in queued batches whose size is known
  std::uint64_t queued_unsized_ = 0;                     // queued batches whose size is not
  std::unordered_map<std::uint64_t, TaskClock> clocks_;  // by job id
  ChunkMap chunks_;
  std::string inbox_;  // receives one-piece result messages
  std::uint64_t remote_chunks_ = 0;
  std::uint64_t local_chunks_ = 0;
  std::uint64_t next_chunk_ = 1;
  std::deque<std::shared_ptr<MapOp>> maps_;
  Collectives collectives_;
  std::uint64_t hand_outs_ = 0;     // stats: chunks and map shares sent
  std::uint64_t result_bytes_ = 0;  // stats: results received
  std::optional<Clock::time_point> first_hand_out_;
  Clock::time_point last_result_{};
  std::list<std::size_t> idle_;                              // idle slots, the most recently idle last
  std::deque<std::size_t> offered_;                          // busy slots heard from since, in that order
  std::multimap<Clock::time_point, std::size_t> finishing_;  // busy estimated slots by when their work runs out
  int busy_unestimated_ = 0;                                 // busy slots holding a chunk with no estimate
  std::size_t last_chosen_ = 0;                              // the slot of the last hand-out, and how many
  int warm_run_ = 0;                                         // it took in a row while idle
};

}  // namespace rankpool::detail
