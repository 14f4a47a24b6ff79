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

/// The result of a task that never ran: its call was terminated or cancelled.
inline TaskResult terminated_result(std::uint64_t position) {
  return TaskResult{position, position, 0, false, "pool terminated before the task ran", 0, 0, true, {}};
}

}  // namespace rankpool::detail

namespace rankpool::detail {

/// One dynamic call (apply_async, imap, imap_unordered): its tasks, handed out as workers have room.
struct Engine::Batch : CallRequest {
  explicit Batch(CallRequest call) : CallRequest(std::move(call)) {}
  std::uint64_t next = 0;  // position of the next task to hand out
  std::uint64_t in_flight = 0;
  bool sized = false;  // tasks->remaining() is known

  bool ready() const { return !tasks->exhausted() && sink->wants_more(in_flight); }
};

/// One map call: its scatter; its results come back as chunks (map shares).
struct Engine::MapOp : CallRequest {
  enum class Phase { kQueued, kScatter, kDone };
  explicit MapOp(CallRequest call) : CallRequest(std::move(call)) {}
  bool blocking = false;
  bool detached = false;  // terminated: its shares come back unseen
  Phase phase = Phase::kQueued;
  std::string scattered;
  std::vector<int> send_counts;
  std::vector<int> send_displs;
  MPI_Request request = MPI_REQUEST_NULL;
};

}  // namespace rankpool::detail
