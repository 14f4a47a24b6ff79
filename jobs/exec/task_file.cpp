#include "exec/task_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "rankpool/errors.hpp"

namespace rankpool::exec {

TaskList read_task_list(std::istream& in, const std::string& source) {
  TaskList tasks;
  std::string line;
  std::uint64_t number = 0;
  std::uint64_t bytes = 0;
  // A line is read in pieces, so one without an end (/dev/zero) stops at the cap too.
  auto next_line = [&] {
    line.clear();
    char piece[4096];
    for (;;) {
      in.getline(piece, sizeof piece);
      const auto got = static_cast<std::uint64_t>(in.gcount());
      bytes += got;
      if (bytes > kMaxTaskFileBytes)
        throw UsageError(source + ": more than " + std::to_string(kMaxTaskFileBytes >> 20) +
                         " MiB of commands; split the task file");
      if (in.eof() && got == 0 && line.empty()) return false;
      const bool delimited = !in.fail() && !in.eof();  // the newline was taken (and counted)
      line.append(piece, delimited ? got - 1 : got);
      if (delimited || in.eof()) return true;
      in.clear();  // a piece of a longer line
    }
  };
  while (next_line()) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t\v\f");
    if (first == std::string::npos || line[first] == '#') continue;
    if (line.find('\0') != std::string::npos)
      throw UsageError(source + " line " + std::to_string(number) + ": a NUL byte cannot be part of a command");
    tasks.commands.push_back(std::move(line));
    tasks.lines.push_back(number);
  }
  if (in.bad()) throw UsageError("cannot read " + source);
  return tasks;
}

TaskList read_task_file(const std::string& path) {
  if (path == "-") return read_task_list(std::cin, "stdin");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("--tasks: cannot open " + path + ": " + std::strerror(errno));
  return read_task_list(in, path);
}

std::string task_list_digest(const TaskList& tasks) {
  std::uint64_t hash = 14695981039346656037ULL;
  auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  };
  for (const std::string& command : tasks.commands) {
    for (char c : command) mix(static_cast<unsigned char>(c));
    mix('\n');
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

}  // namespace rankpool::exec
