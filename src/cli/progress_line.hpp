#pragma once
/// \file
/// One progress line on stderr: done/total, failures, rate, elapsed, time
/// left. Redrawn in place on a terminal, one line per interval in a log;
/// never on stdout.

#include <chrono>
#include <cstdint>

namespace rankpool::cli {

struct ProgressSettings {
  bool enabled = false;
  bool terminal = false;  ///< redraw in place
  double interval = 1;    ///< seconds between lines
  int fd = 2;             ///< stderr, or mpirun's terminal
};

/// On when the user's terminal is there, or when asked (`--progress`). Under
/// mpirun rank 0's stderr is a pipe to mpirun, so the terminal test looks at
/// mpirun's own stderr (this process's parent, when mpirun started it here).
ProgressSettings progress_settings(bool forced, double interval);

class ProgressLine {
 public:
  ProgressLine(ProgressSettings settings, std::uint64_t total);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  /// A task came back; prints when the interval has passed.
  void update(std::uint64_t done, std::uint64_t failed);

 private:
  void print(bool last);

  ProgressSettings settings_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  std::uint64_t failed_ = 0;
  bool printed_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = started_;
};

}  // namespace rankpool::cli
