#pragma once
/// \file
/// The engine's records of one call, shared by its dynamic and map halves.

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rankpool/detail/engine.hpp"

namespace rankpool::detail {

/// What every call hands the engine: the job, its tasks, how many go in a
/// chunk and where their results go.
struct CallParts {
  JobPtr job;
  std::unique_ptr<TaskSource> tasks;
  std::uint64_t chunksize = 0;  // 0: automatic
  std::shared_ptr<ResultSink> sink;
};

/// One dynamic call (apply_async, imap, imap_unordered): its tasks, handed out as workers have room.
struct Engine::Batch : CallParts {
  explicit Batch(CallParts call) : CallParts(std::move(call)) {}
  std::uint64_t next = 0;  // position of the next task to hand out
  std::uint64_t in_flight = 0;
  bool sized = false;  // tasks->remaining() is known

  bool ready() const { return !tasks->exhausted() && sink->wants_more(in_flight); }
};

/// One map call: its scatter; its results come back as chunks (map shares).
struct Engine::MapOp : CallParts {
  enum class Phase { kQueued, kScatter, kDone };
  explicit MapOp(CallParts call) : CallParts(std::move(call)) {}
  int pool_size = 0;
  bool blocking = false;
  Phase phase = Phase::kQueued;
  std::string scattered;
  std::vector<int> send_counts;
  std::vector<int> send_displs;
  MPI_Request request = MPI_REQUEST_NULL;
};

}  // namespace rankpool::detail
