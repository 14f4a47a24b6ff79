#include "cli/progress_line.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace rankpool::cli {

namespace {

/// mpirun's own stderr, opened anew, when mpirun started this rank on its
/// own host and that stderr is a terminal (mpirun passes rank 0's stderr on
/// line by line, so a redraw in place must go to the terminal itself); -1 otherwise.
int open_launcher_terminal() {
  if (std::getenv("OMPI_COMM_WORLD_RANK") == nullptr) return -1;
  const std::string proc = "/proc/" + std::to_string(getppid());
  char exe[PATH_MAX] = {};
  const ssize_t length = readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
  if (length <= 0) return -1;
  const std::string name(exe, static_cast<std::size_t>(length));
  const std::string base = name.substr(name.rfind('/') + 1);
  if (base != "orterun" && base != "mpirun" && base != "mpiexec") return -1;
  const int fd = ::open((proc + "/fd/2").c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0 && isatty(fd)) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

/// Where the line goes: mpirun's terminal, or this process's stderr.
int line_fd(bool& terminal) {
  static const int launcher = open_launcher_terminal();
  terminal = isatty(2) != 0 || launcher >= 0;
  return isatty(2) != 0 || launcher < 0 ? 2 : launcher;
}

std::string duration(double seconds) {
  char text[32];
  if (seconds < 60)
    std::snprintf(text, sizeof text, "%.0f s", seconds);
  else if (seconds < 3600)
    std::snprintf(text, sizeof text, "%d min %02d s", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  else
    std::snprintf(text, sizeof text, "%d h %02d min", static_cast<int>(seconds) / 3600,
                  static_cast<int>(seconds) / 60 % 60);
  return text;
}

}  // namespace

ProgressSettings progress_settings(bool forced, double interval) {
  ProgressSettings settings;
  settings.fd = line_fd(settings.terminal);
  settings.enabled = forced || settings.terminal;
  settings.interval = interval > 0 ? interval : settings.terminal ? 1.0 : 30.0;
  return settings;
}

ProgressLine::ProgressLine(ProgressSettings settings, std::uint64_t total) : settings_(settings), total_(total) {}

ProgressLine::~ProgressLine() {
  if (settings_.enabled && printed_) print(true);
}

void ProgressLine::update(std::uint64_t done, std::uint64_t failed) {
  done_ = done;
  failed_ = failed;
  if (!settings_.enabled) return;
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_).count() < settings_.interval) return;
  last_ = now;
  print(false);
}

void ProgressLine::print(bool last) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  std::string line = "rankpool: " + std::to_string(done_) + "/" + std::to_string(total_) + " tasks, " +
                     std::to_string(failed_) + " failed";
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, ", %.1f/s, %s elapsed", rate, duration(elapsed).c_str());
  line += numbers;
  if (!last && rate > 0 && done_ < total_)
    line += ", ~" + duration(static_cast<double>(total_ - done_) / rate) + " left";
  // One write per line, so lines from several ranks never interleave mid-line.
  line = settings_.terminal ? "\r" + line + "\x1b[K" + (last ? "\n" : "") : line + "\n";
  [[maybe_unused]] const ssize_t written = ::write(settings_.fd, line.data(), line.size());
  printed_ = true;
}

}  // namespace rankpool::cli
