#pragma once
/// \file
/// The task file of `rankpool exec`: one shell command per line.

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace rankpool::exec {

/// The commands of a task file, in file order, each with its line number.
struct TaskList {
  std::vector<std::string> commands;
  std::vector<std::uint64_t> lines;  ///< 1-based line in the file, per command
};

/// A task file holds at most this much (as --numbers-file and --mids-file).
inline constexpr std::uint64_t kMaxTaskFileBytes = std::uint64_t{64} << 20;

/// Reads commands from `in`: every line is one, except blank lines and lines
/// whose first non-blank character is `#`. A trailing CR is dropped (files
/// written on Windows). Throws UsageError naming `source` and the line for a
/// NUL byte, which no shell command can hold, and past kMaxTaskFileBytes.
TaskList read_task_list(std::istream& in, const std::string& source);

/// read_task_list of a file, or of stdin when `path` is "-"; throws
/// UsageError when it cannot be read.
TaskList read_task_file(const std::string& path);

/// A 64-bit FNV-1a digest of the commands, as hex: what a resumed run must match.
std::string task_list_digest(const TaskList& tasks);

}  // namespace rankpool::exec
