#include "sleep/sleep_job.hpp"

#include <chrono>
#include <thread>

namespace rankpool::sleep_job {

std::uint64_t SleepJob::operator()(std::uint64_t index) const {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return index;
}

}  // namespace rankpool::sleep_job
