#pragma once
/// \file
/// ChildRunner: a worker's tasks run in a child process of the same program
/// (Isolation), so a task that crashes costs the child, not the run, and a
/// child that served `max_tasks_per_child` tasks is replaced by a fresh one.
///
/// The child speaks the worker's own messages (protocol.hpp) over two pipes.
/// Rank to child, each message as one frame: u64 length of the whole frame,
/// i32 tag, then the message (kJob, kForget or kTasks) as the master sent it.
/// Child to rank: a kJob is answered by a u8 message (1 if the job runs
/// several tasks at once: run_many or run_stream); a kTasks by kResults
/// messages whose record counts add up to its tasks: one per record as each
/// task finishes, so a crash loses no finished result (a job that runs several
/// tasks at once answers when they are all done). A kForget has no answer.
/// The child ends when its pipe from the rank closes.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rankpool/detail/protocol.hpp"
#include "rankpool/isolation.hpp"
#include "rankpool/job.hpp"

namespace rankpool::detail {

class SpawnedChild;

/// In a process started as a worker's child: serves the rank's messages with
/// an Executor over `registry` until the rank closes the pipe, then ends the
/// process (std::_Exit(0)): it never returns. In any other process it
/// returns false at once. Call it before MPI starts, so a child never does.
bool serve_child_if_requested(const JobRegistry& registry);

/// The isolation the environment asks for: RANKPOOL_ISOLATE=<max tasks per
/// child> (0: never replaced) turns it on; unset or empty: off. Throws
/// UsageError for anything but a whole number from 0 up.
Isolation isolation_from_environment();

class ChildRunner {
 public:
  /// Starts no child yet (the first message that needs one does).
  ChildRunner(int rank, Isolation isolation);
  /// Ends the child (kills and reaps it).
  ~ChildRunner();
  ChildRunner(const ChildRunner&) = delete;
  ChildRunner& operator=(const ChildRunner&) = delete;

  /// Executor::handle's contract: kJob and kForget return an empty string,
  /// kTasks its kResults (written into `buffer`). A task that kills the child
  /// fails with a record naming it and the signal or exit code; the message's
  /// tasks that had not started run in a fresh child.
  std::string handle(int tag, std::string_view message, std::string buffer = {});
  /// Runs tasks of a loaded job in the child; appends one record per task to `out`.
  void run(std::uint64_t job_id, const TaskList& tasks, ByteWriter& out);
  /// Whether the job runs several tasks in one call (Executor::runs_many), as the child says.
  bool runs_many(std::uint64_t job_id);
  /// The running child's pid, or 0 while there is none.
  pid_t child_pid() const noexcept;

 private:
  void load(std::string_view job_message);
  void forget(std::string_view forget_message);
  /// A child with every known job sent and answered; false (and `why`) if none could be had.
  bool ensure_child(std::string& why);
  /// Starts a child and sends it every known job, without waiting for it.
  void start_child();
  /// Reads the child's answers to the jobs sent to it; false if it died.
  bool settle();
  /// Runs tasks [first, first + count) in the child; returns how many records
  /// came back, or nullopt if the child was gone before it took them.
  std::optional<std::size_t> run_slice(std::uint64_t job_id, const TaskList& tasks, std::size_t first,
                                       std::size_t count, ByteWriter& out);
  /// The child is gone: reaps it; returns how it ended.
  std::string lose_child();
  void retire_child();

  int rank_;
  Isolation isolation_;
  std::map<std::uint64_t, std::string> jobs_;           // kJob messages, replayed into each fresh child
  std::unordered_map<std::uint64_t, bool> concurrent_;  // the child's answer to each kJob
  std::unique_ptr<SpawnedChild> child_;
  std::vector<std::uint64_t> unanswered_;  // jobs sent to the child whose answer is not read yet
  int tasks_in_child_ = 0;
};

}  // namespace rankpool::detail
