#include "cli/launcher_stdout.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/safe_file.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

bool env_is(const char* name, const char* value) {
  const char* set = std::getenv(name);
  return set != nullptr && std::strcmp(set, value) == 0;
}

/// mpirun's stdout, if mpirun started this process on this host and passes
/// its output on untouched; -1 otherwise.
int open_launcher_stdout() {
  if (!env_is("OMPI_COMM_WORLD_RANK", "0")) return -1;
  // mpirun rewrites the output with these, and only through its copy.
  for (const char* rewrites : {"OMPI_MCA_orte_tag_output", "OMPI_MCA_orte_timestamp_output", "OMPI_MCA_orte_xml_output",
                               "OMPI_MCA_orte_output_filename"})
    if (std::getenv(rewrites) != nullptr) return -1;
  // The local daemon is mpirun itself (not an orted on another node).
  const char* hnp = std::getenv("OMPI_MCA_orte_hnp_uri");
  const char* local = std::getenv("OMPI_MCA_orte_local_daemon_uri");
  if (hnp == nullptr || local == nullptr || std::strcmp(hnp, local) != 0) return -1;
  const pid_t parent = getppid();
  const std::string proc = "/proc/" + std::to_string(parent);
  char exe[PATH_MAX] = {};
  const ssize_t length = readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
  if (length <= 0) return -1;
  const std::string name = std::string(exe, static_cast<std::size_t>(length));
  const std::string base = name.substr(name.rfind('/') + 1);
  if (base != "orterun" && base != "mpirun" && base != "mpiexec") return -1;
  struct stat mine {};
  if (fstat(1, &mine) != 0 || !(S_ISCHR(mine.st_mode) || S_ISFIFO(mine.st_mode))) return -1;
  // O_APPEND: a regular file gets our bytes after what the shell put there.
  const int fd = ::open((proc + "/fd/1").c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat theirs {};
  if (fstat(fd, &theirs) != 0 || (theirs.st_dev == mine.st_dev && theirs.st_ino == mine.st_ino) ||
      getppid() != parent) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int stdout_fd() {
  static const int fd = [] {
    const int launcher = open_launcher_stdout();
    if (launcher < 0) return 1;
    // One writer owns stdout: everything this process writes there (the
    // summary, a command's output, --out /dev/stdout) goes through this one
    // open file, at one position, instead of half of it through mpirun's copy.
    std::cout.flush();
    if (::dup2(launcher, 1) < 0) return launcher;
    ::close(launcher);
    return 1;
  }();
  return fd;
}

bool is_stdout(const std::string& path) {
  if (path == "-") return true;
  struct stat named {};
  struct stat out {};
  return ::stat(path.c_str(), &named) == 0 && ::fstat(stdout_fd(), &out) == 0 && named.st_dev == out.st_dev &&
         named.st_ino == out.st_ino;
}

void write_stdout(std::string_view bytes) {
  std::cout.flush();
  write_all(stdout_fd(), bytes, "stdout");
}

}  // namespace rankpool::cli
