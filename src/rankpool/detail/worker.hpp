#pragma once
/// \file
/// The worker side of the protocol (see protocol.hpp): receive, run, send back.

#include <mpi.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "rankpool/detail/budget.hpp"
#include "rankpool/detail/child_runner.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/transport.hpp"
#include "rankpool/isolation.hpp"
#include "rankpool/job.hpp"

namespace rankpool::detail {

class Worker {
 public:
  /// With `isolation` enabled, tasks run in a child process (ChildRunner), not in this rank.
  Worker(MPI_Comm comm, const JobRegistry& registry, std::string host, Isolation isolation = {});
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Serves the master until it sends kStop; returns the exit code it sent.
  int serve();

 private:
  class Port;
  /// The master's next message: a deferred one first, else from MPI (waits).
  std::pair<int, std::string> next_message();
  /// The master's next message if one is here now; takes lease grants and
  /// kWait on the way (a streaming run polls with this).
  std::optional<std::pair<int, std::string>> poll_message();
  /// Takes a lease grant or a kWait; false for any other message.
  bool take_aside(int tag, std::string_view message);
  void run_map(std::string_view message);
  /// kJob, kForget, kTasks: to the child if tasks run in one, else to the executor.
  std::string handle(int tag, std::string_view message);
  bool runs_many(std::uint64_t job_id);
  void run(std::uint64_t job_id, const TaskList& tasks, ByteWriter& out);
  /// Waits for `request`, polling a short spell first when the master said the worker has a core of its own.
  void wait(MPI_Request& request);
  /// The master's next message with `tag` (MPI_ANY_TAG: any) if one is here now: its tag and bytes.
  std::optional<std::pair<int, std::string>> receive_if_here(int tag);
  /// Takes every kCancel that has arrived (the stop board's look).
  void look_for_cancels();

  MPI_Comm comm_;
  int rank_ = 0;
  Executor executor_;
  std::optional<ChildRunner> child_;  // isolation: tasks run in a child process
  Outbox outbox_;
  Collectives collectives_;
  LeaseClient leases_;  // the job's RateBudget slots (rate_budget.hpp)
  bool block_ = false;  // kWait: a core of its own, so waits poll a spell before they sleep
  std::optional<std::pair<int, std::string>> deferred_;  // given back by a streaming run
  StopBoard stops_;                                      // last: its thread ends before the rest goes
};

}  // namespace rankpool::detail
