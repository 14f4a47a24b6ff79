#include "exec/child_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rankpool/errors.hpp"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define RANKPOOL_EXEC_HAS_CLOSEFROM 1
#endif

namespace rankpool::exec {

namespace {

std::string errno_text(int error) { return std::strerror(error); }

void check(int error) {
  if (error != 0) throw RuntimeError("exec: cannot set up the command: " + errno_text(error));
}

#ifndef RANKPOOL_EXEC_HAS_CLOSEFROM
// Without posix_spawn_file_actions_addclosefrom_np: mark every descriptor
// above stderr close-on-exec (MPI's sockets and shared memory included).
void mark_descriptors_cloexec() {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
  const long limit = sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < (limit > 0 ? limit : 65536); ++fd) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}
#endif

}  // namespace

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw RuntimeError("exec: cannot create a pipe: " + errno_text(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

Fd open_output(const std::string& path) {
  // O_NOFOLLOW: a planted link is refused; O_NONBLOCK: a planted FIFO fails
  // the open (no reader) instead of hanging it.
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666));
  if (!fd) {
    const int error = errno;
    throw RuntimeError("exec: cannot create " + path + ": " +
                       (error == ELOOP ? std::string("it is a symbolic link; rankpool does not write through one")
                                       : errno_text(error)));
  }
  struct stat info {};
  if (fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_nlink != 1)
    throw RuntimeError("exec: cannot write " + path + ": " +
                       (S_ISREG(info.st_mode) ? "it has other hard links" : "it is not a regular file") +
                       "; rankpool does not write through it (remove it)");
  if (ftruncate(fd.get(), 0) != 0 || fcntl(fd.get(), F_SETFL, 0) != 0)
    throw RuntimeError("exec: cannot write " + path + ": " + errno_text(errno));
  return fd;
}

SpawnActions::SpawnActions() {
  posix_spawn_file_actions_init(&actions_);
  posix_spawnattr_init(&attributes_);
}

SpawnActions::~SpawnActions() {
  posix_spawn_file_actions_destroy(&actions_);
  posix_spawnattr_destroy(&attributes_);
}

void SpawnActions::set_descriptors(int out, int err) {
  check(posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0));
  check(posix_spawn_file_actions_adddup2(&actions_, out, 1));
  check(posix_spawn_file_actions_adddup2(&actions_, err, 2));
#ifdef RANKPOOL_EXEC_HAS_CLOSEFROM
  check(posix_spawn_file_actions_addclosefrom_np(&actions_, 3));
#else
  mark_descriptors_cloexec();
#endif
}

void SpawnActions::set_attributes() {
  check(posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  check(posix_spawnattr_setpgroup(&attributes_, 0));
  sigset_t none;
  sigemptyset(&none);
  check(posix_spawnattr_setsigmask(&attributes_, &none));
  // Ignored signals survive exec (MPI libraries ignore SIGPIPE): reset them all.
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  check(posix_spawnattr_setsigdefault(&attributes_, &all));
}

pid_t SpawnActions::spawn(const std::string& command, char* const* envp) {
  static char shell[] = "/bin/sh";
  static char dash_c[] = "-c";
  // srun passes a drain's SIGUSR1 to every process of the step, commands
  // too: they ignore it (and so do their children), and finish or not as
  // the drain allows, instead of dying of it with a row that says so.
  std::string text = "trap '' USR1; " + command;
  char* argv[] = {shell, dash_c, text.data(), nullptr};
  pid_t pid = 0;
  const int error = posix_spawn(&pid, shell, &actions_, &attributes_, argv, envp);
  if (error != 0) throw RuntimeError("exec: cannot start /bin/sh: " + errno_text(error));
  return pid;
}

}  // namespace rankpool::exec
