#pragma once
/// \file
/// The rows `rankpool exec --out` writes (JSON Lines, one per command) and
/// the failures they add up to.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exec/exec_job.hpp"

namespace rankpool::exec {

/// One command's row: task, line, command, exit, timed_out, seconds,
/// attempts, rank, host, then stdout, stderr, truncated, stdout_bytes and
/// stderr_bytes, or with an output dir stdout_file and stderr_file. Bytes
/// that are not UTF-8 become U+FFFD. No newline at the end.
std::string make_row(std::uint64_t task, std::uint64_t line, const std::string& command, const CommandOutcome& outcome,
                     const std::string& output_dir);

/// Checks a resumed journal's row against this run: throws RuntimeError
/// saying what differs unless it is a row of ours for `task`, at `line`,
/// running `command`, with the outputs where this run puts them.
void check_row(std::string_view row, std::uint64_t task, std::uint64_t line, const std::string& command,
               const std::string& output_dir);

/// A command that exited non-zero or timed out.
struct FailedCommand {
  std::uint64_t task = 0;
  std::uint64_t line = 0;
  int exit_code = 0;
  bool timed_out = false;
};

/// The failure a row records, if any (for a resumed run's earlier rows);
/// throws RuntimeError for a row that is not one of ours.
bool row_failure(std::string_view row, FailedCommand& failure);

/// "17 of 200 commands failed (2 timed out); first: task 3 (line 5), exit 1".
std::string describe_failures(const std::vector<FailedCommand>& failures, std::uint64_t commands);

}  // namespace rankpool::exec
