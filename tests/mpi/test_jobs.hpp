#pragma once
/// \file
/// Small jobs the MPI tests run.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "contract_jobs.hpp"
#include "rankpool/job.hpp"
#include "sched_jobs.hpp"
#include "typed_jobs.hpp"

namespace rankpool::testing {

/// i*i + offset: a typed result and a parameter.
struct Square {
  static constexpr const char* name = "square";
  long offset = 0;
  long operator()(std::uint64_t index) const { return static_cast<long>(index * index) + offset; }
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & offset;
    // clang-format on
  }
};

/// Throws for every index divisible by `every` (from index `every`-1 on).
struct Thrower {
  static constexpr const char* name = "thrower";
  std::uint64_t every = 7;
  std::uint64_t operator()(std::uint64_t index) const {
    if ((index + 1) % every == 0) throw std::runtime_error("boom at " + std::to_string(index));
    return index;
  }
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & every;
    // clang-format on
  }
};

/// A result whose size grows with the index: gatherv with unequal sizes.
struct Blob {
  static constexpr const char* name = "blob";
  std::vector<std::uint32_t> operator()(std::uint64_t index) const {
    std::vector<std::uint32_t> out(index * 37 % 5000);
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = static_cast<std::uint32_t>(index * 1000003 + k);
    return out;
  }
};

/// Sleeps `millis` and returns the index.
struct Nap {
  static constexpr const char* name = "nap";
  int millis = 10;
  std::uint64_t operator()(std::uint64_t index) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    return index;
  }
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & millis;
    // clang-format on
  }
};

inline JobRegistry test_jobs() {
  JobRegistry registry;
  registry.add<Square>().add<Thrower>().add<Blob>().add<Nap>();
  registry.add<WordLength>().add<Norm>().add<Repeat>().add<CheckedRoot>().add<CountsSetup>().add<FailingSetup>();
  registry.add<BigResult>().add<ChunkSize>().add<TakesFragile>().add<TakesFragileTimes>().add<WhichProcess>();
  registry.add<FlipBits>().add<LowBits>().add<IsOdd>();
  return registry;
}

}  // namespace rankpool::testing
