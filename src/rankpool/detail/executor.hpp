#pragma once
/// \file
/// Executor: the worker's side of running tasks, shared by MPI workers, the
/// master's stand-in worker thread (no workers) and the serial variant.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rankpool/detail/protocol.hpp"
#include "rankpool/detail/stop_board.hpp"
#include "rankpool/job.hpp"

namespace rankpool::detail {

/// Where a streaming run (Executor::stream) gets the master's next messages
/// and sends its results.
class StreamPort {
 public:
  virtual ~StreamPort() = default;
  /// The master's next message if one is here now: its tag and bytes.
  virtual std::optional<std::pair<int, std::string>> poll() = 0;
  /// Gives back a message the stream does not take; it is handled after the stream ends.
  virtual void defer(int tag, std::string message) = 0;
  /// Sends a kResults message.
  virtual void send(std::string message) = 0;
};

class Executor {
 public:
  Executor(const JobRegistry& registry, int rank, std::string host, long pid);

  /// Rebuilds a job from its spec; a job that cannot be rebuilt fails its tasks.
  /// Keeps the spec until forget(), and the rebuilt job (with what its
  /// setup() made) for the kJobValuesKept most recently used jobs only: a
  /// task of a job dropped from those rebuilds it (setup() runs again).
  void load(const JobSpec& spec);
  /// Drops a job no task will use again.
  void forget(std::uint64_t job_id);
  /// Whether the job runs a chunk in one call (run_many), overlapping its tasks.
  bool runs_many(std::uint64_t job_id) const {
    auto found = jobs_.find(job_id);
    return found != jobs_.end() && found->second.runs_many;
  }
  /// Jobs rebuilt and kept now (at most kJobValuesKept).
  std::size_t jobs_kept() const noexcept { return kept_.size(); }
  /// Where kCancel news is kept (null: none comes): a kTasks message's chunk
  /// is begun on it; tasks of a stopped chunk are answered unrun
  /// (cancelled_record), and a running task that takes a std::stop_token sees its stop.
  void use_stop_board(StopBoard* board) noexcept { stops_ = board; }
  /// Runs tasks of a loaded job and appends one record per task to `out`.
  void run(std::uint64_t job_id, const TaskList& tasks, ByteWriter& out);
  /// The same, handing each record to `emit` as it is made (no encoding).
  void run(std::uint64_t job_id, const TaskList& tasks, const std::function<void(TaskRecord&&)>& emit);
  /// Whether a kTasks message is for a loaded job that holds several tasks at once (TaskRunner::concurrency).
  bool streams(std::string_view tasks_message) const;
  /// Runs a kTasks message of such a job in one run_stream call, with every
  /// further kTasks of that job the port brings while it runs; sends one
  /// kResults per kTasks as its last task finishes. Stops taking messages at
  /// the first other one (deferred).
  void stream(std::string_view tasks_message, StreamPort& port);
  /// Handles one message from the master (kJob, kForget, kTasks); for kTasks
  /// returns the kResults message (written into `buffer`, whose capacity
  /// is reused), else an empty string.
  std::string handle(int tag, std::string_view message, std::string buffer = {});

 private:
  struct LoadedJob {
    std::string name;
    std::string params;
    std::unique_ptr<TaskRunner> runner;  ///< null when dropped to keep the bound, or when it failed to load
    std::string load_error;
    bool trace = false;
    bool runs_many = false;
    int concurrency = 1;
  };
  // The job with its runner rebuilt if it was dropped, now the most recently
  // used; null if no such job was loaded.
  LoadedJob* use(std::uint64_t job_id);
  void build(std::uint64_t job_id, LoadedJob& job);
  void run_many(LoadedJob& job, const TaskList& tasks, const std::function<void(TaskRecord&&)>& emit);
  void trace(const LoadedJob& job, const char* event, std::uint64_t index, double seconds) const;

  const JobRegistry& registry_;
  int rank_;
  std::string host_;
  long pid_;
  std::unordered_map<std::uint64_t, LoadedJob> jobs_;
  std::vector<std::uint64_t> kept_;  ///< jobs holding a runner, least recently used first
  StopBoard* stops_ = nullptr;
};

/// The record of a task not run because its call was terminated.
TaskRecord cancelled_record(std::uint64_t index);

/// The readable name of the exception being handled, e.g. "std::domain_error".
std::string current_exception_type();
/// The readable name of the exception `error` holds.
std::string current_exception_type_of(const std::exception_ptr& error);

/// Runs `task`, filling the record's payload, or its error and the error's type.
template <class Task>
void run_guarded(TaskRecord& record, Task&& task) {
  try {
    record.payload = task();
  } catch (const std::exception& error) {
    record.ok = false;
    record.payload = error.what();
    record.error_type = current_exception_type();
  } catch (...) {
    record.ok = false;
    record.payload = "unknown exception";
    record.error_type = current_exception_type();
  }
}

}  // namespace rankpool::detail
