#include "rankpool/detail/spawned_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "rankpool/detail/protocol.hpp"
#include "rankpool/errors.hpp"

extern char** environ;

namespace rankpool::detail {

namespace {

[[noreturn]] void fail(const std::string& what, int error) {
  throw RuntimeError("rankpool: " + what + ": " + std::strerror(error));
}

void check_spawn(int error, const char* what) {
  if (error != 0) fail(std::string("cannot start the worker's child process: ") + what, error);
}

// The child reads its pipe on fd 3 and writes on fd 4: the parent's ends
// must lie above them, or one dup2 would overwrite the other.
constexpr int kChildReadFd = 3;
constexpr int kChildWriteFd = 4;

Fd above_child_fds(Fd fd) {
  if (fd.get() > kChildWriteFd) return fd;
  const int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, kChildWriteFd + 1);
  if (moved < 0) fail("fcntl(F_DUPFD_CLOEXEC)", errno);
  return Fd(moved);
}

std::pair<Fd, Fd> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail("pipe2", errno);
  return {above_child_fds(Fd(fds[0])), above_child_fds(Fd(fds[1]))};
}

/// This program's arguments as it was started (MPI_Init may have changed argv since).
const std::vector<std::string>& original_arguments() {
  static const std::vector<std::string> arguments = [] {
    std::ifstream file("/proc/self/cmdline", std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (text.empty())
      throw RuntimeError("rankpool: cannot read /proc/self/cmdline to start the worker's child process");
    std::vector<std::string> out;
    for (std::size_t begin = 0; begin < text.size();) {
      const std::size_t end = text.find('\0', begin);
      out.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
      begin = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
  }();
  return arguments;
}

class SpawnSetup {
 public:
  SpawnSetup() {
    check_spawn(posix_spawn_file_actions_init(&actions_), "file actions");
    if (const int error = posix_spawnattr_init(&attributes_); error != 0) {
      posix_spawn_file_actions_destroy(&actions_);
      check_spawn(error, "attributes");
    }
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  /// stdin /dev/null, the pipes on fds 3 and 4, nothing else beyond stdout and stderr.
  void descriptors(int read_fd, int write_fd) {
    check_spawn(posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0), "stdin");
    check_spawn(posix_spawn_file_actions_adddup2(&actions_, read_fd, kChildReadFd), "dup2");
    check_spawn(posix_spawn_file_actions_adddup2(&actions_, write_fd, kChildWriteFd), "dup2");
    // MPI's sockets and shared memory are not all close-on-exec.
    check_spawn(posix_spawn_file_actions_addclosefrom_np(&actions_, kChildWriteFd + 1), "closefrom");
  }

  /// No blocked signals, every signal at its default (MPI may ignore or block some).
  void signals() {
    check_spawn(posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "flags");
    sigset_t none;
    sigemptyset(&none);
    check_spawn(posix_spawnattr_setsigmask(&attributes_, &none), "signal mask");
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    check_spawn(posix_spawnattr_setsigdefault(&attributes_, &all), "signal defaults");
  }

  pid_t spawn(int rank) {
    std::vector<std::string> arguments = original_arguments();
    std::vector<std::string> environment;
    const std::string prefix = std::string(kChildVariable) + "=";
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
      if (std::strncmp(*entry, prefix.c_str(), prefix.size()) != 0) environment.emplace_back(*entry);
    environment.push_back(prefix + std::to_string(kChildReadFd) + " " + std::to_string(kChildWriteFd) + " " +
                          std::to_string(rank) + " " + std::to_string(getpid()));
    std::vector<char*> argv, envp;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    for (std::string& entry : environment) envp.push_back(entry.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    pid_t pid = -1;
    check_spawn(posix_spawn(&pid, "/proc/self/exe", &actions_, &attributes_, argv.data(), envp.data()),
                "posix_spawn of /proc/self/exe");
    return pid;
  }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

/// Blocks SIGPIPE on this thread for its lifetime; a SIGPIPE raised meanwhile
/// by a write to a closed pipe is taken off again, so none is delivered.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    if (const int error = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_); error != 0) fail("pthread_sigmask", error);
    sigset_t pending;
    if (sigpending(&pending) != 0) fail("sigpending", errno);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (raised_ && !was_pending_) {
      const timespec now{};
      while (sigtimedwait(&pipe_, nullptr, &now) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  void raised() { raised_ = true; }

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool was_pending_ = false;
  bool raised_ = false;
};

/// Writes every byte of `parts`; false on EPIPE.
bool write_parts(int fd, std::vector<iovec> parts, SigpipeBlock* block) {
  std::size_t first = 0;
  while (first < parts.size()) {
    const ssize_t wrote = writev(fd, parts.data() + first, static_cast<int>(parts.size() - first));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        if (block != nullptr) block->raised();
        return false;
      }
      fail("write to the worker's child process", errno);
    }
    auto left = static_cast<std::size_t>(wrote);
    while (first < parts.size() && left >= parts[first].iov_len) left -= parts[first++].iov_len;
    if (first < parts.size()) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
  return true;
}

iovec part(std::string_view bytes) { return iovec{const_cast<char*>(bytes.data()), bytes.size()}; }

}  // namespace

Fd::Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void Fd::reset() noexcept {
  // Not retried on EINTR: Linux frees the descriptor either way.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool write_all(int fd, std::string_view bytes, bool guard_sigpipe) {
  if (!guard_sigpipe) return write_parts(fd, {part(bytes)}, nullptr);
  SigpipeBlock block;
  return write_parts(fd, {part(bytes)}, &block);
}

bool FrameReader::buffered() const {
  if (data_.size() - begin_ < kFrameBytes) return false;
  std::uint64_t total = 0;
  std::memcpy(&total, data_.data() + begin_, sizeof total);
  return data_.size() - begin_ >= total;
}

std::optional<std::string> FrameReader::next() {
  while (!buffered())
    if (!fill()) return std::nullopt;
  std::uint64_t total = 0;
  std::memcpy(&total, data_.data() + begin_, sizeof total);
  if (total < kFrameBytes) throw RuntimeError("rankpool: a malformed message on the worker's child process's pipe");
  std::string frame = data_.substr(begin_, total);
  begin_ += total;
  if (begin_ == data_.size()) {
    data_.clear();
    begin_ = 0;
  }
  return frame;
}

bool FrameReader::fill() {
  if (begin_ > 0) {
    data_.erase(0, begin_);
    begin_ = 0;
  }
  for (;;) {
    if (exited_fd_ >= 0) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {exited_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        fail("poll on the worker's child process", errno);
      }
      if (fds[0].revents == 0 && fds[1].revents != 0) {
        pollfd again{fd_, POLLIN, 0};
        if (poll(&again, 1, 0) <= 0) return false;
      }
    }
    char chunk[65536];
    const ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("read from the worker's child process", errno);
    }
    if (got == 0) return false;
    data_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }
}

SpawnedChild::SpawnedChild(int rank) {
  auto [child_reads, parent_writes] = make_pipe();
  auto [parent_reads, child_writes] = make_pipe();
  SpawnSetup setup;
  setup.descriptors(child_reads.get(), child_writes.get());
  setup.signals();
  pid_ = setup.spawn(rank);
  to_child_ = std::move(parent_writes);
  from_child_ = std::move(parent_reads);
  // Linux 5.3+; without it a process the child started could keep the pipe open after the child died.
  exited_ = Fd(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));
  reader_.emplace(from_child_.get(), exited_.get());
}

SpawnedChild::~SpawnedChild() {
  to_child_.reset();
  try {
    reap();
  } catch (...) {
    // A destructor must not throw; reap() only fails on a pid that is not ours.
  }
}

bool SpawnedChild::send(int tag, std::string_view message) {
  if (!to_child_) return false;
  // One frame: its length, the tag, then the message (which starts with its own length).
  ByteWriter header;
  header.value(static_cast<std::int32_t>(tag));
  std::string head = std::move(header).finish();
  const std::uint64_t total = head.size() + message.size();
  std::memcpy(head.data(), &total, sizeof total);
  SigpipeBlock block;
  if (write_parts(to_child_.get(), {part(head), part(message)}, &block)) return true;
  to_child_.reset();
  return false;
}

std::optional<std::string> SpawnedChild::receive() {
  if (!from_child_) return std::nullopt;
  auto frame = reader_->next();
  if (!frame) from_child_.reset();
  return frame;
}

std::string SpawnedChild::reap() {
  if (!reaped_) {
    // It is gone or going: its pipe closed. A child that closed the pipe itself is ended here.
    if (kill(pid_, SIGKILL) != 0 && errno != ESRCH) fail("kill", errno);
    pid_t reaped = -1;
    do {
      reaped = waitpid(pid_, &status_, 0);
    } while (reaped < 0 && errno == EINTR);
    reaped_ = true;
    // A program that ignores SIGCHLD has its children reaped by the kernel, status and all.
    if (reaped < 0 && errno == ECHILD) return "an unknown status (the program ignores SIGCHLD)";
    if (reaped < 0) fail("waitpid", errno);
  }
  return describe_wait_status(status_);
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int number = WTERMSIG(status);
    const char* name = sigabbrev_np(number);
    return "signal " + std::to_string(number) + (name ? " (SIG" + std::string(name) + ")" : std::string());
  }
  return "status " + std::to_string(status);
}

}  // namespace rankpool::detail
