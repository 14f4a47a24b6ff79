#pragma once
/// \file
/// The exec job: task i runs the i-th command of a task file with
/// `/bin/sh -c` on the worker and returns what it did.

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rankpool::exec {

/// What one command did, as it travels from the worker to the master.
struct CommandOutcome {
  std::int32_t exit_code = 0;  ///< the last attempt's exit status, or 128 + signal
  bool timed_out = false;      ///< the last attempt ran past --task-timeout and was killed
  std::uint32_t attempts = 0;
  double seconds = 0;  ///< the last attempt's wall time
  std::int32_t rank = 0;
  std::string host;
  std::string stdout_text;  ///< captured (the first capture_bytes), empty with an output dir
  std::string stderr_text;
  std::uint64_t stdout_bytes = 0;
  std::uint64_t stderr_bytes = 0;

  bool failed() const noexcept { return exit_code != 0 || timed_out; }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & exit_code & timed_out & attempts & seconds & rank & host & stdout_text & stderr_text & stdout_bytes &
        stderr_bytes;
    // clang-format on
  }
};

/// The job's parameters, sent to every worker once: the commands and how to run them.
struct ExecJob {
  static constexpr const char* name = "exec";

  std::vector<std::string> commands;
  std::uint64_t capture_bytes = 65536;
  /// Absolute; non-empty: each command's stdout and stderr go whole to
  /// DIR/<task>.stdout and DIR/<task>.stderr instead of being captured.
  std::string output_dir;
  std::uint32_t retries = 0;
  double task_timeout = 0;  ///< seconds; 0: none
  double kill_grace = 2;    ///< seconds from SIGTERM to SIGKILL after a timeout

  /// Runs command `index` (again while it fails, up to `retries` times).
  /// Throws RuntimeError only when it cannot be started.
  CommandOutcome operator()(std::uint64_t index) const;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & commands & capture_bytes & output_dir & retries & task_timeout & kill_grace;
    // clang-format on
  }

 private:
  struct Runtime;
  // Built on first use on each rank: the commands' environment, rank and host.
  mutable std::shared_ptr<Runtime> runtime_;
};

/// Where --output-dir puts a command's stdout ("stdout") or stderr ("stderr").
std::string output_file(const std::string& dir, std::uint64_t task, const char* stream);

}  // namespace rankpool::exec
