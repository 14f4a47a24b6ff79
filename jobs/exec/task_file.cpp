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
  while (std::getline(in, line)) {
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
