#pragma once
/// \file
/// The master's side of the protocol: hands chunks of tasks to idle workers,
/// runs map's collectives, and delivers what comes back to sinks.

#include <mpi.h>

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

#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/task_result.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/task_source.hpp"
#include "rankpool/detail/transport.hpp"

namespace rankpool::detail {

class Executor;
class LocalWorker;

/// A rank's host and pid, gathered once when the session starts.
struct RankInfo {
  std::string host;
  long pid = 0;
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive & host & pid;
  }
};

/// A job the workers know by id. Shared by the calls that use it; when the
/// last one lets go, the workers are told to forget it.
struct JobEntry {
  std::uint64_t id = 0;
  std::string name;
  std::string params;
  std::string key;
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
  /// Chunks kept in flight per worker, so a worker has its next chunk queued.
  void set_depth(int depth) { depth_ = depth < 1 ? 1 : depth; }
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

  /// Hands the tasks out dynamically, `chunksize` at a time, to idle workers.
  void submit(JobPtr job, std::unique_ptr<TaskSource> tasks, std::uint64_t chunksize, std::shared_ptr<ResultSink> sink);
  /// Scatters the tasks with collectives (chunks dealt cyclically), gathers results.
  void submit_map(JobPtr job, std::unique_ptr<TaskSource> tasks, std::uint64_t chunksize,
                  std::shared_ptr<ResultSink> sink);
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
  struct Batch;
  struct MapOp;
  struct Slot {
    int rank = 0;
    int in_flight = 0;
    std::unordered_set<std::uint64_t> jobs;
    std::deque<std::uint64_t> first_index;  // of each chunk out, oldest first
    std::chrono::steady_clock::time_point last_heard{};
  };
  struct Chunk {
    std::shared_ptr<Batch> batch;
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    std::size_t slot = 0;
  };

  std::size_t first_slot() const noexcept { return pool_size_ == 0 ? 0 : 1; }
  std::size_t end_slot() const noexcept { return pool_size_ == 0 ? 1 : static_cast<std::size_t>(pool_size_) + 1; }
  void send(Slot& slot, int tag, std::string message);
  void ensure_job(Slot& slot, const JobEntry& job);
  void forget_retired();
  bool receive_results();
  void take_results(const std::string& message, int rank);
  void deliver(Batch& batch, TaskResult&& result);
  bool hand_out();
  bool progress_maps();
  void start_map(MapOp& op);
  bool finish_map_phase(MapOp& op);
  void check_stalls() const;

  boost::mpi::communicator comm_;
  const JobRegistry& registry_;
  std::vector<RankInfo> ranks_;
  int pool_size_ = 0;
  int depth_ = 2;
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
  std::unordered_map<std::uint64_t, Chunk> chunks_;
  std::uint64_t remote_chunks_ = 0;
  std::uint64_t local_chunks_ = 0;
  std::uint64_t next_chunk_ = 1;
  std::deque<std::unique_ptr<MapOp>> maps_;
  Collectives collectives_;
  std::size_t next_slot_ = 0;
  bool in_progress_ = false;
};

}  // namespace rankpool::detail
