#pragma once
/// \file
/// Where the ranks run: each rank's host, pid and CPUs, gathered when the
/// session starts, and the wait policy they call for.

#include <cstdint>
#include <string>
#include <vector>

#include "rankpool/backoff.hpp"

namespace rankpool::detail {

/// The CPUs this process may run on, as a bit mask in 64-bit words.
std::vector<std::uint64_t> affinity_words();

/// A rank's host and pid, gathered once when the session starts, and the
/// CPUs it may run on (WaitPolicy::kAuto counts them per host).
struct RankInfo {
  std::string host;
  long pid = 0;
  std::vector<std::uint64_t> cpus = affinity_words();
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & host & pid & cpus;
    // clang-format on
  }
};

/// kBlock if on every host the ranks there are no more than the CPUs they
/// may run on together, else kBackoff (what WaitPolicy::kAuto becomes).
WaitPolicy auto_wait_policy(const std::vector<RankInfo>& ranks);

}  // namespace rankpool::detail
