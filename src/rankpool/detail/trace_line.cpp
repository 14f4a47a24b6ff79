#include "rankpool/detail/trace_line.hpp"

#include <unistd.h>

#include <cstdio>

namespace rankpool::detail {

void print_trace_line(int rank, const std::string& host, long pid, const char* event, const std::string& job,
                      std::uint64_t index, double seconds) {
  char line[512];
  int length = 0;
  if (seconds >= 0)
    length =
        std::snprintf(line, sizeof line, "[trace] rank %d (%s, pid %ld) %s %s task %llu in %.3f ms\n", rank,
                      host.c_str(), pid, event, job.c_str(), static_cast<unsigned long long>(index), seconds * 1e3);
  else
    length = std::snprintf(line, sizeof line, "[trace] rank %d (%s, pid %ld) %s %s task %llu\n", rank, host.c_str(),
                           pid, event, job.c_str(), static_cast<unsigned long long>(index));
  if (length > 0) {
    auto size = static_cast<std::size_t>(length) < sizeof line ? static_cast<std::size_t>(length) : sizeof line - 1;
    (void)!write(STDERR_FILENO, line, size);
  }
}

}  // namespace rankpool::detail
