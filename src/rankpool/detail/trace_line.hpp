#pragma once
#include <cstdint>
#include <string>

namespace rankpool::detail {

/// Prints the seed's "pid is ..." view of one task event on stderr, one write
/// per line so lines from several ranks stay whole. `seconds` < 0: no duration.
void print_trace_line(int rank, const std::string& host, long pid, const char* event, const std::string& job,
                      std::uint64_t index, double seconds);

}  // namespace rankpool::detail
