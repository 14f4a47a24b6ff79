#pragma once
/// \file
/// Session: the RAII object that splits the world into master and workers.

#include <functional>
#include <memory>

#include "rankpool/isolation.hpp"
#include "rankpool/job.hpp"
#include "rankpool/pool.hpp"

namespace rankpool {

/// What a Session may do beyond splitting the world. Everything that changes
/// the process as a whole is off unless asked for.
struct SessionOptions {
  /// Runs once on each worker rank as it starts serving, before any task
  /// (Python's Pool(initializer=...)); with one rank, once on the thread that
  /// runs the tasks. If it throws, the run ends on every rank with one line
  /// naming the rank and the error.
  std::function<void()> initializer;
  /// Sets Open MPI's and hwloc's start-up settings for a run on one node
  /// (`OMPI_MCA_pml=ob1`, and for a process started without mpirun
  /// `OMPI_MCA_ess_singleton_isolated=1` and two `HWLOC_*` variables) in
  /// this process's environment, where the user has not set them, before MPI
  /// starts. Saves ~0.2 s of start-up on one node.
  bool tune_startup = false;
  /// An exception that escapes the program on the master ends every rank with
  /// one line on stderr and exit code 1 (installs a std::terminate handler),
  /// instead of aborting the master and leaving the launcher to end the rest.
  bool end_on_uncaught_exception = false;
  /// Workers run their tasks in child processes of this program (see
  /// Isolation): a task that crashes fails alone, and a child can be
  /// replaced after N tasks. Off by default; the environment variable
  /// RANKPOOL_ISOLATE=<max tasks per child> turns it on where this is off.
  Isolation isolation;
  /// After terminate(), an error, or a stall, how long finish() waits for the
  /// tasks still running (saying which) before it ends every rank with MPI_Abort.
  double finish_grace_seconds = 30;
};

/// Starts MPI (unless already started, in which case it must allow
/// MPI_THREAD_SERIALIZED: the master's engine runs on a thread of its own),
/// and splits the world: rank 0 gets a Pool, every other rank serves tasks
/// until the master releases it. In the spirit of mpi4py's MPICommExecutor:
///
///     int main(int argc, char** argv) {
///       rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Square>());
///       if (rankpool::Pool* pool = session.pool()) {    // rank 0 only
///         for (long v : pool->map(Square{}, 100)) std::cout << v << '\n';
///       }                                               // workers return here when released
///       return session.finish();
///     }
///
/// Collective: every rank constructs it with the same jobs; a registry that
/// differs on some rank, or MPI started without thread support, is a
/// UsageError on every rank. One Session per process: a second (nested, or
/// inside a task) is a UsageError. The destructor releases the workers if
/// finish() did not: after the queued work, or while an exception unwinds
/// after dropping it (exit code 1).
class Session {
 public:
  Session(int& argc, char**& argv, JobRegistry registry, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool is_master() const noexcept;
  int rank() const noexcept;
  int world_size() const noexcept;

  /// Master: the pool (nullptr once released). Workers: serve until
  /// released, then nullptr.
  Pool* pool();

  /// Master: lets the queued work finish, then releases every worker, which
  /// returns `exit_code` from its finish(). Idempotent.
  void release(int exit_code);

  /// Master: drops the queued work, waits for what is running (at most
  /// finish_grace_seconds), and releases every worker with `exit_code`. For
  /// a failing end; idempotent.
  void abandon(int exit_code);

  /// Master: releases the workers (if not yet) with `exit_code`; after a
  /// stall (a caught StallError) it first drops the queued work. Workers: the
  /// code the master released them with. Returns the code for main.
  int finish(int exit_code = 0);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rankpool
