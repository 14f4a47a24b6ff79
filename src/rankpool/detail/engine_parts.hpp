#pragma once
/// \file
/// The engine's records of one call, shared by its dynamic and map halves.

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rankpool/detail/engine.hpp"

namespace rankpool::detail {

/// One dynamic call (apply_async, imap, imap_unordered): its tasks, handed out as workers have room.
struct Engine::Batch {
  JobPtr job;
  std::unique_ptr<TaskSource> tasks;
  std::uint64_t chunksize = 0;  // 0: automatic
  std::uint64_t next = 0;       // position of the next task to hand out
  std::uint64_t in_flight = 0;
  bool sized = false;           // tasks->remaining() is known
  std::shared_ptr<ResultSink> sink;

  bool ready() const { return !tasks->exhausted() && sink->wants_more(in_flight); }
};

/// One map call: its scatter; its results come back as chunks (map shares).
struct Engine::MapOp {
  enum class Phase { kQueued, kScatter, kDone };
  JobPtr job;
  std::unique_ptr<TaskSource> tasks;
  std::uint64_t chunksize = 0;
  std::shared_ptr<ResultSink> sink;
  int pool_size = 0;
  bool blocking = false;
  Phase phase = Phase::kQueued;
  std::string scattered;
  std::vector<int> send_counts;
  std::vector<int> send_displs;
  MPI_Request request = MPI_REQUEST_NULL;
};

}  // namespace rankpool::detail
