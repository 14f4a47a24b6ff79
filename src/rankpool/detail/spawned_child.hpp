#pragma once
/// \file
/// SpawnedChild: one child process of this program (/proc/self/exe, started
/// again with its original arguments) that serves a worker's tasks over two
/// pipes (child_runner.hpp has the messages). This file knows processes and
/// descriptors, not messages: start, send bytes, receive frames, reap.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace rankpool::detail {

/// The variable that makes a process started by SpawnedChild a child:
/// "<read fd> <write fd> <rank> <parent pid>".
inline constexpr const char* kChildVariable = "RANKPOOL_CHILD";

/// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept;
  Fd& operator=(Fd&& other) noexcept;
  ~Fd() { reset(); }
  void reset() noexcept;
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Writes all of `bytes` to `fd`; false if the reader is gone (EPIPE), with no
/// SIGPIPE delivered (`guard_sigpipe` false: the caller ignores SIGPIPE, which
/// saves three system calls); throws RuntimeError on any other error.
bool write_all(int fd, std::string_view bytes, bool guard_sigpipe = true);

/// Reads messages that start with their u64 length (protocol.hpp) off a
/// pipe, as many at a time as one read brings.
class FrameReader {
 public:
  /// `exited_fd`: a pidfd, or -1; once it says the writer has exited and
  /// nothing more is there, that is the end (a process the writer started
  /// may hold the pipe open after it).
  explicit FrameReader(int fd, int exited_fd = -1) : fd_(fd), exited_fd_(exited_fd) {}
  /// The next message; nullopt at the end. Throws RuntimeError on a read error.
  std::optional<std::string> next();
  /// Whether a whole message is here already (next() would not read).
  bool buffered() const;

 private:
  /// One read; false at the end.
  bool fill();

  int fd_;
  int exited_fd_;
  std::string data_;
  std::size_t begin_ = 0;  // data_ before this was handed out
};

class SpawnedChild {
 public:
  /// Starts a child for `rank`: stdin /dev/null, stdout and stderr the rank's,
  /// no other descriptor but its two pipes, every signal at its default.
  /// Throws RuntimeError if it cannot.
  explicit SpawnedChild(int rank);
  /// Kills the child (if not reaped yet) and reaps it.
  ~SpawnedChild();
  SpawnedChild(const SpawnedChild&) = delete;
  SpawnedChild& operator=(const SpawnedChild&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Sends a message with its tag; false if the child is gone.
  bool send(int tag, std::string_view message);
  /// The child's next message; nullopt once it is gone.
  std::optional<std::string> receive();
  /// After the child is gone: kills whatever is left of it, reaps it, and says
  /// how it ended: "signal 11 (SIGSEGV)" or "exit code 3".
  std::string reap();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  Fd to_child_;
  Fd from_child_;
  Fd exited_;                          // a pidfd: readable once the child has exited (-1 where there is none)
  std::optional<FrameReader> reader_;  // of from_child_
};

/// How a process ended, from waitpid's status: "signal 11 (SIGSEGV)" or "exit code 3".
std::string describe_wait_status(int status);

}  // namespace rankpool::detail
