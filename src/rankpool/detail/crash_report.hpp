#pragma once
/// \file
/// CrashReport: a worker that dies in a task says which. While one lives (a
/// worker serving), a task that kills its process with a signal (SIGSEGV,
/// SIGBUS, SIGFPE, SIGILL, SIGABRT) or calls exit() leaves one line on stderr:
///
///     rankpool: error: job 'f' task 7 on rank 2 (node12) killed its worker: signal 11 (SIGSEGV)
///
/// The process then ends as it would have (the previous handler, or the
/// default action). The handlers are the process's while the worker serves
/// and are put back when the CrashReport ends.

#include <csignal>
#include <cstdint>
#include <string>

namespace rankpool::detail {

class CrashReport {
 public:
  CrashReport(int rank, const std::string& host);
  ~CrashReport();
  CrashReport(const CrashReport&) = delete;
  CrashReport& operator=(const CrashReport&) = delete;

  /// Task `index` of job `job` (a name that outlives the task) is running on this thread.
  static void running(const char* job, std::uint64_t index) noexcept;
  /// No task is running.
  static void idle() noexcept;

 private:
  struct sigaction previous_[5];
};

/// Marks a task as running for as long as it lives (CrashReport).
class RunningTask {
 public:
  RunningTask(const char* job, std::uint64_t index) noexcept { CrashReport::running(job, index); }
  ~RunningTask() { CrashReport::idle(); }
  RunningTask(const RunningTask&) = delete;
  RunningTask& operator=(const RunningTask&) = delete;
};

}  // namespace rankpool::detail
