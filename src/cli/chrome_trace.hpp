#pragma once
/// \file
/// Chrome trace-event files (open in Perfetto or chrome://tracing): one track per rank.

#include <string>
#include <vector>

#include "cli/run_variant.hpp"
#include "rankpool/pool.hpp"

namespace rankpool::cli {

/// Writes every span of `report` as a complete event ("ph":"X") on its rank's
/// track, named after the rank, host and pid, under a temporary name renamed to
/// `path` once whole. Throws RuntimeError "cannot write PATH: REASON".
void write_chrome_trace(const std::string& path, const std::string& job, const Pool& pool, const RunReport& report);

}  // namespace rankpool::cli
