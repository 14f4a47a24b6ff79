#pragma once
/// \file
/// The worker side of the protocol (see protocol.hpp): receive, run, send back.

#include <mpi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rankpool/job.hpp"

namespace rankpool::detail {

class Worker {
 public:
  Worker(MPI_Comm comm, const JobRegistry& registry, std::string host);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Serves the master until it sends kStop; returns the exit code it sent.
  int serve();

 private:
  struct LoadedJob {
    std::string name;
    std::unique_ptr<TaskRunner> runner;
    std::string load_error;
    bool trace = false;
  };
  struct PendingSend {
    std::string buffer;
    MPI_Request request = MPI_REQUEST_NULL;
  };

  void receive_job();
  void run_chunk(int count);
  void run_map();
  void run_into(std::uint64_t job_id, const std::uint64_t* indices, std::size_t count, std::string& out);
  void run_many_into(LoadedJob& job, const std::uint64_t* indices, std::size_t count, std::string& out);
  void send_results(std::string buffer);
  void reap_sends(bool wait_all);
  void wait(MPI_Request& request);
  MPI_Comm pool_comm(int pool_size);
  void trace_line(const LoadedJob& job, const char* event, std::uint64_t index, double seconds) const;

  MPI_Comm comm_;
  const JobRegistry& registry_;
  std::string host_;
  int rank_ = 0;
  long pid_ = 0;
  MPI_Datatype unit_type_ = MPI_DATATYPE_NULL;
  std::map<std::uint64_t, LoadedJob> jobs_;
  std::map<int, MPI_Comm> pool_comms_;
  std::vector<std::unique_ptr<PendingSend>> sends_;
};

}  // namespace rankpool::detail
