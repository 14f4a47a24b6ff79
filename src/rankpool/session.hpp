#pragma once
/// \file
/// Session: the RAII object that splits the world into master and workers.

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "rankpool/detail/engine.hpp"
#include "rankpool/isolation.hpp"
#include "rankpool/job.hpp"
#include "rankpool/pool.hpp"

namespace rankpool {

/// Starts MPI (unless already started), and splits the world: rank 0 gets a
/// Pool, every other rank serves tasks until the master releases it. In the
/// spirit of mpi4py's MPICommExecutor:
///
///     int main(int argc, char** argv) {
///       rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Square>());
///       if (rankpool::Pool* pool = session.pool()) {    // rank 0 only
///         for (long v : pool->map(Square{}, 100)) std::cout << v << '\n';
///       }                                               // workers return here when released
///       return session.finish();
///     }
///
/// Collective: every rank constructs it with the same jobs. The destructor
/// always releases the workers: after the queued work (or, while an exception
/// unwinds, after dropping it), with exit code 0 (or 1). An exception that
/// nothing catches on the master ends every rank with one line on stderr and
/// exit code 1.
class Session {
 public:
  Session(int& argc, char**& argv, JobRegistry registry);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool is_master() const noexcept { return rank_ == 0; }
  int rank() const noexcept { return rank_; }
  int world_size() const noexcept { return size_; }

  /// Master: the pool. Workers: serve until released, then nullptr.
  Pool* pool();

  /// Master: lets the queued work finish, then releases every worker, which
  /// returns `exit_code` from its finish(). Idempotent.
  void release(int exit_code);

  /// Master: drops the queued work, waits for what is running, and releases
  /// every worker with `exit_code`. For a failing end; idempotent.
  void abandon(int exit_code);

  /// Master: releases the workers (if not yet) with `exit_code`. Workers: the
  /// code the master released them with. Returns the code for main.
  int finish(int exit_code = 0);

 private:
  std::optional<boost::mpi::environment> environment_;
  boost::mpi::communicator comm_;
  JobRegistry registry_;
  Isolation isolation_;  // workers run tasks in child processes (RANKPOOL_ISOLATE for now)
  int rank_ = 0;
  int size_ = 1;
  std::unique_ptr<detail::Engine> engine_;
  std::unique_ptr<Pool> pool_;
  bool released_ = false;
  int worker_exit_code_ = 0;
};

}  // namespace rankpool
