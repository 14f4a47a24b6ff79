#pragma once
/// \file
/// Runs one job's tasks through one variant and reports how it went.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "cli/variant.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/pool.hpp"

namespace rankpool::cli {

enum class OnError { kStop, kContinue };

struct RunOptions {
  Variant variant = Variant::kApplyAsync;
  std::uint64_t chunksize = 0;  ///< 0: the variant's default
  OnError on_error = OnError::kStop;
  bool record_spans = false;    ///< keep when and where each task ran (--trace-out)
};

/// When and where one task ran (system-clock seconds).
struct TaskSpan {
  std::uint64_t index = 0;
  int rank = 0;
  double start = 0;
  double end = 0;
  bool ok = true;
};

struct RunReport {
  double wall_seconds = 0;
  std::uint64_t tasks = 0;
  std::uint64_t completed = 0;
  std::map<int, std::uint64_t> tasks_per_rank;
  std::vector<TaskFailure> failures;
  bool stopped_early = false;  ///< --on-error stop dropped tasks after a failure
  std::vector<TaskSpan> spans;  ///< with RunOptions::record_spans
};

/// Receives each successful result; in request order for serial, apply, map,
/// map_async and imap, as they finish for apply_async and imap_unordered.
using ResultHandler = std::function<void(const TaskResult&)>;

/// Runs `tasks` of `job` on the pool with the chosen variant.
RunReport run_variant(Pool& pool, JobHandle job, const TaskSet& tasks, const RunOptions& options,
                      const ResultHandler& on_result);

}  // namespace rankpool::cli
