#pragma once
/// \file
/// The master's side of the protocol: hands chunks of task indices to idle
/// workers, runs map's collectives, and delivers what comes back to sinks.

#include <mpi.h>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/request.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "rankpool/errors.hpp"
#include "rankpool/job.hpp"
#include "rankpool/task_result.hpp"
#include "rankpool/task_set.hpp"

namespace rankpool::detail {

struct ChunkSend;

/// A rank's host and pid, gathered once when the session starts.
struct RankInfo {
  std::string host;
  long pid = 0;
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive & host & pid;
  }
};

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

  /// Registers a job's parameters once; the same name and parameters give the same id.
  std::uint64_t load_job(const std::string& name, const std::string& params);
  const std::string& job_name(std::uint64_t job_id) const;

  /// Hands the tasks out dynamically, `chunksize` at a time, to idle workers.
  void submit(std::uint64_t job_id, TaskSet tasks, std::uint64_t chunksize, std::shared_ptr<ResultSink> sink);
  /// Scatters the tasks with collectives (chunks dealt cyclically), gathers results.
  void submit_map(std::uint64_t job_id, TaskSet tasks, std::uint64_t chunksize, std::shared_ptr<ResultSink> sink);
  /// Runs the tasks on the master itself, now.
  void run_local(std::uint64_t job_id, const TaskSet& tasks, ResultSink& sink);

  /// One non-blocking round of receiving and handing out; true if anything moved.
  bool progress();
  /// Progresses, with backoff, until `done()` or the deadline; false on timeout.
  bool wait_until(const std::function<bool()>& done, Deadline deadline = std::nullopt);
  /// Called on every round of wait_until; it may throw to abort the wait.
  void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }
  /// Whether tasks are queued, out on workers, or in a collective.
  bool busy() const noexcept;
  /// Drops the tasks not yet handed out; their sinks get a "terminated" failure.
  void cancel_queued();
  /// Waits for everything out to come back, then releases every worker with `exit_code`.
  void stop_workers(int exit_code);

  TaskFailure failure_of(const TaskResult& result, std::uint64_t job_id) const;
  const RankInfo& rank_info(int rank) const { return ranks_.at(static_cast<std::size_t>(rank)); }

 private:
  struct Batch;
  struct MapOp;
  struct Worker {
    int rank = 0;
    int in_flight = 0;
    std::set<std::uint64_t> jobs;
  };
  struct Chunk {
    std::shared_ptr<Batch> batch;
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    int worker = 0;
    std::shared_ptr<ChunkSend> send;
  };

  TaskRunner& local_runner(std::uint64_t job_id);
  TaskResult run_one(std::uint64_t job_id, std::uint64_t position, std::uint64_t index);
  void ensure_job(Worker& worker, std::uint64_t job_id);
  bool receive_results();
  bool hand_out();
  bool run_local_chunk();
  bool progress_maps();
  void start_map(MapOp& op);
  bool finish_map_phase(MapOp& op);
  MPI_Comm pool_comm(int pool_size);

  boost::mpi::communicator comm_;
  const JobRegistry& registry_;
  std::vector<RankInfo> ranks_;
  int pool_size_ = 0;
  int depth_ = 2;
  bool trace_ = false;
  MPI_Datatype unit_type_ = MPI_DATATYPE_NULL;

  struct JobEntry {
    std::string name;
    std::string params;
    std::unique_ptr<TaskRunner> local;
  };
  std::map<std::pair<std::string, std::string>, std::uint64_t> job_ids_;
  std::vector<JobEntry> jobs_;
  std::vector<Worker> workers_;
  std::deque<std::shared_ptr<Batch>> queue_;
  std::unordered_map<std::uint64_t, Chunk> chunks_;
  std::uint64_t next_chunk_ = 1;
  std::deque<std::unique_ptr<MapOp>> maps_;
  std::map<int, MPI_Comm> pool_comms_;
  std::vector<boost::mpi::request> job_sends_;
  std::size_t next_worker_ = 0;
  bool in_progress_ = false;
  std::function<void()> wait_hook_;
};

}  // namespace rankpool::detail
