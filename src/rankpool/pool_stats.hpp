#pragma once
/// \file
/// Where a pool's time goes (Pool::stats()): each worker's share of the time
/// spent running tasks, and the master's engine thread's share of a core.

#include <cstdint>
#include <vector>

namespace rankpool {

/// One worker's figures since the pool's first hand-out.
struct WorkerStats {
  int rank = 0;              ///< 0: the master's stand-in thread (one rank, no workers)
  std::uint64_t tasks = 0;   ///< results received from it
  double busy_seconds = 0;   ///< time its results say it spent running tasks
  double busy_fraction = 0;  ///< busy_seconds over PoolStats::wall_seconds
};

/// A pool's figures from its first hand-out to its last result (or to now,
/// while work is out). A worker's busy time is read from its results: the
/// span from the first task's start to the last task's end of each results
/// message, so tasks a worker overlaps count once. Waiting for work, and
/// sending results, are the rest of its wall time.
struct PoolStats {
  double wall_seconds = 0;
  std::vector<WorkerStats> workers;  ///< every worker of the world (those outside resize() idle)
  double worker_busy_fraction = 0;   ///< the mean over `workers`
  double worker_busy_min = 0;        ///< the least busy worker's
  double master_busy_fraction = 0;   ///< the engine thread's CPU time over wall_seconds
  std::uint64_t hand_outs = 0;       ///< kTasks messages and map shares sent
  std::uint64_t result_bytes = 0;    ///< bytes of results received
};

}  // namespace rankpool
