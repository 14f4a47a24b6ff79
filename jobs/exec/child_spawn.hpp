#pragma once
/// \file
/// Starting a command: descriptors that close themselves, pipes, output files
/// that refuse planted links and FIFOs, and posix_spawn of `/bin/sh -c`.

#include <spawn.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace rankpool::exec {

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

/// Both ends of a pipe.
struct Pipe {
  Fd read;
  Fd write;
};

/// A pipe, both ends close-on-exec. Throws RuntimeError.
Pipe make_pipe();

/// Opens --output-dir's file for a command's stdout or stderr: a new file, or
/// a regular one of ours emptied; never through a symbolic link, never a FIFO
/// or device (which could hang the rank or write elsewhere). Throws RuntimeError.
Fd open_output(const std::string& path);

/// posix_spawn's file actions and attributes for one command.
class SpawnActions {
 public:
  SpawnActions();
  ~SpawnActions();
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;

  /// stdin from /dev/null, stdout and stderr onto the given descriptors, nothing else open.
  void set_descriptors(int out, int err);
  /// Its own process group, no blocked signals, every signal at its default.
  void set_attributes();
  /// Starts `/bin/sh -c COMMAND` (SIGUSR1 ignored); throws RuntimeError.
  pid_t spawn(const std::string& command, char* const* envp);

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

}  // namespace rankpool::exec
