#pragma once
/// \file
/// The exceptions rankpool throws. Misuse (bad arguments, a closed pool) is a
/// UsageError; everything that fails while running is a RuntimeError.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace rankpool {

/// Base of every rankpool exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Misuse or bad input: the caller can fix it. The command exits with 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

/// A failure while running (a task, the network, a worker). The command exits with 1.
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

  /// "factorial task 7 on rank 2 (node12): message"
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

/// `get(timeout)` or `wait(timeout)` ran out of time.
class TimeoutError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

}  // namespace rankpool
