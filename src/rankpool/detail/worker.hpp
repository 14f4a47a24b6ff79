#pragma once
/// \file
/// The worker side of the protocol (see protocol.hpp): receive, run, send back.

#include <mpi.h>

#include <map>
#include <string>

#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/transport.hpp"
#include "rankpool/job.hpp"

namespace rankpool::detail {

class Worker {
 public:
  Worker(MPI_Comm comm, const JobRegistry& registry, std::string host);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Serves the master until it sends kStop; returns the exit code it sent.
  int serve();

 private:
  void run_map(std::string_view message);
  /// Waits for `request`: MPI_Wait when the master said the worker may block, else with backoff.
  void wait(MPI_Request& request);

  MPI_Comm comm_;
  int rank_ = 0;
  Executor executor_;
  Outbox outbox_;
  Collectives collectives_;
  bool block_ = false;  // kWait: a core of its own, so waits may block (and spin)
};

}  // namespace rankpool::detail
