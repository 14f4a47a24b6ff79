#pragma once
/// \file
/// TaskResult and ResultSink: how task outcomes reach whoever asked for them.

#include <cstdint>
#include <exception>
#include <string>

namespace rankpool {

/// One task's outcome, as the master received it.
struct TaskResult {
  std::uint64_t position = 0;  ///< place in the call's tasks (request order)
  std::uint64_t index = 0;     ///< the task index (for typed arguments: the position)
  int rank = 0;                ///< the rank that ran it (0: the master itself)
  bool ok = true;              ///< false: `payload` is the error message
  std::string payload;         ///< the encoded result, or the error message
  double start = 0;            ///< system-clock seconds on the rank that ran it
  double end = 0;
  bool cancelled = false;  ///< dropped by cancel() or terminate() before it ran
  std::string error_type;  ///< failures: the exception's type
};

/// Receives the outcomes of one call, on the master, on the engine's thread
/// and under its lock.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void deliver(TaskResult&& result) = 0;
  /// Reading the call's input failed at `position` (the tasks before it were
  /// handed out): the call ends with `error` (ordered streams first give
  /// every value before that position). Results that come later are dropped.
  virtual void fail(std::exception_ptr error, std::uint64_t position) = 0;
  /// Whether more tasks may be handed out now; `in_flight` are out and not back.
  /// Streams say no while their buffer is full, which bounds the master's memory.
  virtual bool wants_more(std::uint64_t /*in_flight*/) const { return true; }
  /// Called once the call's tasks are all handed out: there are `total`.
  virtual void set_total(std::uint64_t /*total*/) {}
};

}  // namespace rankpool
