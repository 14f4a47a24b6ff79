#pragma once
/// \file
/// A job the scheduler tests run: it tells each task how many tasks its hand-out carried.

#include <cstdint>
#include <span>
#include <vector>

#include "rankpool/job.hpp"

namespace rankpool::testing {

/// Each task's result is the number of tasks in the chunk it ran in (a
/// worker runs a whole hand-out in one run_many call; one task alone: 1).
struct ChunkSize {
  static constexpr const char* name = "chunk_size";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  std::uint64_t operator()(std::uint64_t) const { return 1; }
  std::vector<Outcome<std::uint64_t>> run_many(std::span<const std::uint64_t> indices) const {
    return std::vector<Outcome<std::uint64_t>>(indices.size(), Outcome<std::uint64_t>{indices.size(), {}});
  }
};

}  // namespace rankpool::testing
