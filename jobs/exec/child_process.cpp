#include "exec/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <utility>

#include "cli/interrupts.hpp"
#include "rankpool/errors.hpp"

extern char** environ;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define RANKPOOL_EXEC_HAS_CLOSEFROM 1
#endif

namespace rankpool::exec {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int error) { return std::strerror(error); }

/// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() noexcept {
    // Not retried on EINTR: Linux frees the descriptor either way.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw RuntimeError("exec: cannot create a pipe: " + errno_text(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

Fd open_output(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw RuntimeError("exec: cannot create " + path + ": " + errno_text(errno));
  return Fd(fd);
}

// --- the running command's group dies with this process --------------------
//
// A command sits in its own process group, so the signals that end this rank
// (mpirun's SIGTERM on abort or Ctrl-C, a scheduler's SIGTERM) would not
// reach it: the handler kills the group, then lets the signal take its
// previous course. SIGKILL cannot be caught; a scheduler's cgroup covers that.

std::atomic<pid_t> running_group{0};
// A worker notes SIGTERM and goes on until the launcher's SIGKILL a second
// later: a command started in that second would outlive it. Once an ending
// signal came, no command starts, and one spawned as it came is killed.
std::atomic<int> ending_signal{0};
constexpr std::array<int, 3> kEndingSignals{SIGTERM, SIGINT, SIGHUP};
struct sigaction previous_actions[kEndingSignals.size()];

void kill_group_and_reraise(int signal_number) {
  ending_signal.store(signal_number);
  const pid_t group = running_group.load();
  if (group > 0) kill(-group, SIGKILL);
  for (std::size_t i = 0; i < kEndingSignals.size(); ++i)
    if (kEndingSignals[i] == signal_number) sigaction(signal_number, &previous_actions[i], nullptr);
  raise(signal_number);
}

void install_group_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (std::size_t i = 0; i < kEndingSignals.size(); ++i) {
      sigaction(kEndingSignals[i], nullptr, &previous_actions[i]);
      // An ignored signal (nohup's SIGHUP) does not end us: leave it ignored.
      if (!(previous_actions[i].sa_flags & SA_SIGINFO) && previous_actions[i].sa_handler == SIG_IGN) continue;
      struct sigaction action {};
      action.sa_handler = kill_group_and_reraise;
      sigemptyset(&action.sa_mask);
      action.sa_flags = SA_RESTART;
      sigaction(kEndingSignals[i], &action, nullptr);
    }
  });
}

// --- spawning ------------------------------------------------------------------

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

class SpawnActions {
 public:
  SpawnActions() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attributes_);
  }
  ~SpawnActions() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;

  /// stdin from /dev/null, stdout and stderr onto the given descriptors, nothing else open.
  void set_descriptors(int out, int err) {
    check(posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0));
    check(posix_spawn_file_actions_adddup2(&actions_, out, 1));
    check(posix_spawn_file_actions_adddup2(&actions_, err, 2));
#ifdef RANKPOOL_EXEC_HAS_CLOSEFROM
    check(posix_spawn_file_actions_addclosefrom_np(&actions_, 3));
#else
    mark_descriptors_cloexec();
#endif
  }

  /// Its own process group, no blocked signals, every signal at its default.
  void set_attributes() {
    check(
        posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
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

  pid_t spawn(const std::string& command, char* const* envp) {
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

 private:
  static void check(int error) {
    if (error != 0) throw RuntimeError("exec: cannot set up the command: " + errno_text(error));
  }

  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

/// One read of what is there: keeps up to `cap` bytes in `kept`, counts them
/// all; closes `fd` at EOF. One read per wake-up, never a loop: a second read
/// of an empty pipe would block while the command waits on the other one.
void drain(Fd& fd, std::string& kept, std::uint64_t& total, std::size_t cap) {
  char buffer[65536];
  ssize_t got;
  do {
    got = ::read(fd.get(), buffer, sizeof buffer);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    fd.reset();
    return;
  }
  total += static_cast<std::uint64_t>(got);
  if (kept.size() < cap) kept.append(buffer, std::min(static_cast<std::size_t>(got), cap - kept.size()));
}

int milliseconds_until(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 1 << 30));  // poll's int; ~12 days, then again
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

/// Reads the command's output until it has ended (or been killed past its
/// limit) and both pipes are closed; does not reap it.
void wait_for(pid_t pid, const Fd& exit_fd, Pipe& out, Pipe& err, const ChildRequest& request, Clock::time_point start,
              ChildResult& result) {
  const bool limited = request.timeout_seconds > 0;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(limited ? request.timeout_seconds : 0));
  Clock::time_point kill_at{};
  Clock::time_point give_up_at{};
  bool terminated = false;
  bool killed = false;
  bool exited = false;

  while (!exited || out.read || err.read) {
    std::array<pollfd, 3> fds{};
    nfds_t count = 0;
    int out_slot = -1, err_slot = -1, exit_slot = -1;
    if (out.read) fds[out_slot = static_cast<int>(count++)] = {out.read.get(), POLLIN, 0};
    if (err.read) fds[err_slot = static_cast<int>(count++)] = {err.read.get(), POLLIN, 0};
    if (!exited && exit_fd) fds[exit_slot = static_cast<int>(count++)] = {exit_fd.get(), POLLIN, 0};

    Clock::time_point now = Clock::now();
    int wait_ms = -1;
    auto until = [&](Clock::time_point when) {
      const int ms = milliseconds_until(when, now);
      wait_ms = wait_ms < 0 ? ms : std::min(wait_ms, ms);
    };
    if (limited && !terminated) until(deadline);
    if (terminated && !killed) until(kill_at);
    if (killed) until(give_up_at);
    if (!exited && !exit_fd) until(now + std::chrono::milliseconds(10));

    const int ready = poll(fds.data(), count, wait_ms);
    if (ready < 0 && errno != EINTR) throw RuntimeError("exec: poll: " + errno_text(errno));
    if (ready > 0) {
      if (out_slot >= 0 && fds[out_slot].revents)
        drain(out.read, result.stdout_text, result.stdout_bytes, request.capture_bytes);
      if (err_slot >= 0 && fds[err_slot].revents)
        drain(err.read, result.stderr_text, result.stderr_bytes, request.capture_bytes);
      if (exit_slot >= 0 && fds[exit_slot].revents) exited = true;
    }
    if (!exited && !exit_fd) {
      siginfo_t info{};
      exited = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
    }

    now = Clock::now();
    if (limited && !terminated && now >= deadline) {
      result.timed_out = true;
      terminated = true;
      kill(-pid, SIGTERM);
      kill_at =
          now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(request.kill_grace_seconds));
    }
    if (terminated && !killed && now >= kill_at) {
      killed = true;
      kill(-pid, SIGKILL);
      give_up_at = now + std::chrono::seconds(1);
    }
    // Something that left the group (setsid) may hold the pipes for ever.
    if (killed && exited && now >= give_up_at) break;
  }
  // The leader is not reaped yet, so its group id still names only its group:
  // whatever of a timed-out command ignored SIGTERM goes now.
  if (terminated) kill(-pid, SIGKILL);
}

}  // namespace

// --- the environment -------------------------------------------------------------

bool ChildEnvironment::is_scrubbed(const char* entry) noexcept {
  // Open MPI's and PMIx's settings (and MPICH's PMI_*) describe this rank's
  // place in the MPI job; an MPI program run as a command would try to join it.
  for (const char* prefix : {"OMPI_", "PMIX_", "PMI_", "RANKPOOL_TASK=", "RANKPOOL_RANK=", "RANKPOOL_HOST="})
    if (std::strncmp(entry, prefix, std::strlen(prefix)) == 0) return true;
  return false;
}

ChildEnvironment::ChildEnvironment(int rank, const std::string& host) {
  for (char** entry = environ; entry && *entry; ++entry)
    if (!is_scrubbed(*entry)) entries_.emplace_back(*entry);
  entries_.push_back("RANKPOOL_RANK=" + std::to_string(rank));
  entries_.push_back("RANKPOOL_HOST=" + host);
  task_slot_ = entries_.size();
  entries_.emplace_back("RANKPOOL_TASK=");
  for (std::string& entry : entries_) pointers_.push_back(entry.data());
  pointers_.push_back(nullptr);
}

void ChildEnvironment::set_task(std::uint64_t task) {
  entries_[task_slot_] = "RANKPOOL_TASK=" + std::to_string(task);
  pointers_[task_slot_] = entries_[task_slot_].data();
}

// --- one command ---------------------------------------------------------------------

ChildResult run_child(const ChildRequest& request, ChildEnvironment& environment) {
  install_group_guard();
  // The rank's own note of SIGINT or SIGTERM covers one that came before the first command.
  if (const int signal_number = ending_signal.load() ? ending_signal.load() : cli::stop_signal_seen())
    throw RuntimeError("exec: not started: this rank got signal " + std::to_string(signal_number) +
                       " (the run is ending)");
  const bool capture = request.stdout_path.empty();
  Pipe out, err;
  if (capture) {
    out = make_pipe();
    err = make_pipe();
  } else {
    out.write = open_output(request.stdout_path);
    err.write = open_output(request.stderr_path);
  }

  SpawnActions spawn;
  spawn.set_descriptors(out.write.get(), err.write.get());
  spawn.set_attributes();

  const Clock::time_point start = Clock::now();
  const pid_t pid = spawn.spawn(request.command, environment.envp());
  running_group.store(pid);
  // A handler that ran before the store missed this one.
  if (ending_signal.load() || cli::stop_signal_seen()) kill(-pid, SIGKILL);
  out.write.reset();
  err.write.reset();
  // A pidfd makes the child's exit one more thing to poll (Linux 5.3+);
  // without one, poll wakes every 10 ms to ask.
  Fd exit_fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));

  ChildResult result;
  try {
    wait_for(pid, exit_fd, out, err, request, start, result);
  } catch (...) {
    // Never leave a command running, or a zombie, behind an error.
    kill(-pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    running_group.store(0);
    throw;
  }

  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  running_group.store(0);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.exit_code = reaped == pid ? exit_code_of(status) : 255;
  return result;
}

}  // namespace rankpool::exec
