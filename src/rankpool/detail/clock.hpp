#pragma once
#include <chrono>

namespace rankpool::detail {

/// Seconds on the system clock: comparable across ranks of one host.
inline double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace rankpool::detail
