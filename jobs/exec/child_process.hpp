#pragma once
/// \file
/// Runs one shell command as a child of this process: `/bin/sh -c COMMAND`
/// started with posix_spawn in its own process group, stdin from /dev/null,
/// every other descriptor of the parent closed, stdout and stderr captured
/// (or written to files), an optional time limit after which the whole group
/// is killed.

#include <cstdint>
#include <string>
#include <vector>

namespace rankpool::exec {

/// The environment a command gets: this process's, minus what ties it to the
/// MPI job (OMPI_*, PMIX_*), plus RANKPOOL_TASK, RANKPOOL_RANK and
/// RANKPOOL_HOST. Built once; set_task() changes only the task slot.
class ChildEnvironment {
 public:
  ChildEnvironment(int rank, const std::string& host);
  ChildEnvironment(const ChildEnvironment&) = delete;
  ChildEnvironment& operator=(const ChildEnvironment&) = delete;

  void set_task(std::uint64_t task);
  /// The NULL-terminated array posix_spawn takes; valid until the next set_task().
  char* const* envp() noexcept { return pointers_.data(); }

  /// Whether a variable (NAME=value) is one a command must not inherit.
  static bool is_scrubbed(const char* entry) noexcept;

 private:
  std::vector<std::string> entries_;
  std::vector<char*> pointers_;
  std::size_t task_slot_ = 0;
};

/// How to run one command.
struct ChildRequest {
  std::string command;
  /// Bytes of stdout and of stderr kept (each); the rest is read and counted.
  std::size_t capture_bytes = 65536;
  /// Both set: stdout and stderr go whole to these files (created or
  /// truncated) and nothing is captured.
  std::string stdout_path;
  std::string stderr_path;
  /// Seconds the command may run (0: no limit). Past it the group gets
  /// SIGTERM, and SIGKILL `kill_grace_seconds` later.
  double timeout_seconds = 0;
  double kill_grace_seconds = 2;
};

/// What one run of a command did.
struct ChildResult {
  int exit_code = 0;  ///< the exit status, or 128 + the signal that ended it
  bool timed_out = false;
  double seconds = 0;
  std::string stdout_text;  ///< the first capture_bytes of stdout
  std::string stderr_text;
  std::uint64_t stdout_bytes = 0;  ///< all bytes it wrote there
  std::uint64_t stderr_bytes = 0;
};

/// Runs the command to its end (or its time limit) and returns what it did.
/// A command that runs and fails is a result, not an error; throws
/// RuntimeError only when it cannot be started at all (no /bin/sh, no
/// descriptors left, an output file that cannot be created).
ChildResult run_child(const ChildRequest& request, ChildEnvironment& environment);

}  // namespace rankpool::exec
