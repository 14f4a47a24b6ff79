#pragma once
/// \file
/// The exceptions rankpool throws, one hierarchy. Each class carries the exit
/// code a program should end with (`exit_code()`): misuse or bad input is a
/// UsageError (2); everything that fails while running is a RuntimeError (1).
/// Jobs derive their own errors from these, so one handler maps them all.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace rankpool {

/// Base of every rankpool exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// The exit code this error ends a program with.
  virtual int exit_code() const noexcept { return 1; }
};

/// Misuse or bad input: the caller can fix it. Exit code 2.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 2; }
};

/// A failure while running (a task, the network, a worker). Exit code 1.
class RuntimeError : public Error {
 public:
  using Error::Error;
};

/// Where and why one task failed.
struct TaskFailure {
  std::string job;
  std::uint64_t index = 0;
  int rank = 0;
  std::string host;
  std::string message;
  std::string type;  ///< the exception's type, e.g. "std::domain_error" (empty if unknown)

  /// "factorial task 7 on rank 2 (node12): message (std::domain_error)"
  std::string describe() const;
};

/// A task threw on a worker; rethrown on the master by `get()`.
class RemoteError : public RuntimeError {
 public:
  explicit RemoteError(TaskFailure failure);
  const TaskFailure& failure() const noexcept { return failure_; }

 private:
  TaskFailure failure_;
};

/// `get(timeout)`, `wait(timeout)` or `next(timeout)` ran out of time.
class TimeoutError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// A worker held work and sent nothing for longer than the task timeout.
class StallError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

/// The exit code for any exception: its own for rankpool errors, else 1.
int exit_code_of(const std::exception& error) noexcept;

}  // namespace rankpool
