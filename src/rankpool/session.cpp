#include "rankpool/session.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/collectives/gather.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/child_runner.hpp"
#include "rankpool/detail/crash_report.hpp"
#include "rankpool/detail/engine_core.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/detail/startup.hpp"
#include "rankpool/detail/worker.hpp"

namespace rankpool {

namespace {

std::atomic<bool> g_session_live{false};
Session* g_master_session = nullptr;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

// An exception that escapes the user's code on the master would abort with a
// backtrace and leave mpirun to kill the workers: say what it was in one
// line, release the workers with exit code 1, and end.
[[noreturn]] void end_on_uncaught_exception() {
  std::string what = "unknown exception";
  if (std::exception_ptr current = std::current_exception())
    what = detail::describe(current) + " (" + detail::current_exception_type_of(current) + ")";
  std::cerr << "rankpool: error: uncaught exception on the master: " << what << std::endl;
  if (g_master_session != nullptr) {
    try {
      g_master_session->abandon(1);
      detail::report_mpi(MPI_Finalize(), "MPI_Finalize");
    } catch (...) {
    }
  }
  std::_Exit(1);
}

/// Why this rank cannot take part ("" if it can): the MPI thread level.
std::string thread_level_problem() {
  int provided = MPI_THREAD_SINGLE;
  if (const int code = MPI_Query_thread(&provided); code != MPI_SUCCESS)
    return "MPI_Query_thread failed: " + detail::mpi_error_text(code);
  if (provided >= MPI_THREAD_SERIALIZED) return "";
  return "MPI was started without MPI_THREAD_SERIALIZED (the pool's engine runs on a thread of its own): start it "
         "with MPI_Init_thread(..., MPI_THREAD_SERIALIZED, ...) or let the Session start it";
}

/// The first difference between two ranks' registered job names ("" if none).
std::string registry_difference(const std::vector<std::string>& master, const std::vector<std::string>& other,
                                int rank) {
  for (const std::string& name : master)
    if (std::find(other.begin(), other.end(), name) == other.end())
      return "job '" + name + "' is registered on rank 0 but not on rank " + std::to_string(rank) +
             ": every rank must register the same jobs";
  for (const std::string& name : other)
    if (std::find(master.begin(), master.end(), name) == master.end())
      return "job '" + name + "' is registered on rank " + std::to_string(rank) +
             " but not on rank 0: every rank must register the same jobs";
  return "";
}

}  // namespace

struct Session::State {
  std::optional<boost::mpi::environment> environment;
  boost::mpi::communicator comm;
  JobRegistry registry;
  SessionOptions options;
  int rank = 0;
  int size = 1;
  std::shared_ptr<detail::EngineCore> core;
  std::optional<Pool> pool;
  bool released = false;
  int worker_exit_code = 0;
  std::terminate_handler previous_terminate = nullptr;

  /// Gathers every rank's view (thread level, jobs) at the master; every rank returns its verdict.
  std::string check_agreement() {
    const std::string mine = thread_level_problem();
    std::vector<std::string> problems;
    boost::mpi::gather(comm, mine, problems, 0);
    std::vector<std::vector<std::string>> names;
    boost::mpi::gather(comm, registry.names(), names, 0);
    std::string verdict;
    if (rank == 0) {
      for (int r = 0; r < size && verdict.empty(); ++r)
        if (!problems[static_cast<std::size_t>(r)].empty())
          verdict = "rank " + std::to_string(r) + ": " + problems[static_cast<std::size_t>(r)];
      for (int r = 1; r < size && verdict.empty(); ++r)
        verdict = registry_difference(names[0], names[static_cast<std::size_t>(r)], r);
    }
    boost::mpi::broadcast(comm, verdict, 0);
    return verdict;
  }

  /// Master: ends the engine; a task that outlives the grace ends the run.
  void shut_down(int exit_code, bool drop_queued) {
    if (released) return;
    released = true;
    pool.reset();
    if (!core->shut_down(exit_code, drop_queued, options.finish_grace_seconds)) {
      std::cerr << "rankpool: error: tasks still running after " << options.finish_grace_seconds
                << " s: ending every rank" << std::endl;
      detail::abort_run(comm, exit_code == 0 ? 1 : exit_code);
    }
  }

  void serve() {
    if (options.initializer) {
      try {
        options.initializer();
      } catch (const std::exception& error) {
        std::cerr << "rankpool: error: the initializer threw on rank " << rank << " (" << host_name()
                  << "): " << error.what() << std::endl;
        detail::abort_run(comm, 1);
      }
    }
    const unsigned long slack = Backoff::tune_timer_slack();
    try {
      const detail::CrashReport crashes(rank, host_name());
      detail::Worker worker(comm, registry, host_name(), options.isolation);
      worker_exit_code = worker.serve();
    } catch (const std::exception& error) {
      // A worker that cannot go on (an MPI failure, a message it cannot read)
      // must not leave the master waiting for it.
      std::cerr << "rankpool: error: worker rank " << rank << " (" << host_name() << "): " << error.what() << std::endl;
      detail::abort_run(comm, 1);
    }
    Backoff::restore_timer_slack(slack);
    released = true;
  }
};

Session::Session(int& argc, char**& argv, JobRegistry registry, SessionOptions options) {
  detail::serve_child_if_requested(registry);  // a worker's child process (Isolation) serves here and ends
  if (g_session_live.exchange(true))
    throw UsageError("a second rankpool::Session in one process (nested, or inside a task): one Session per process");
  try {
    state_ = std::make_unique<State>();
    State& s = *state_;
    s.registry = std::move(registry);
    s.options = std::move(options);
    if (!s.options.isolation.enabled) s.options.isolation = detail::isolation_from_environment();
    if (!boost::mpi::environment::initialized()) {
      if (s.options.tune_startup) detail::tune_single_node_startup();
      s.environment.emplace(argc, argv, boost::mpi::threading::serialized, /*abort_on_exception=*/false);
    }
    s.comm = boost::mpi::communicator(MPI_COMM_WORLD, boost::mpi::comm_duplicate);
    s.rank = s.comm.rank();
    s.size = s.comm.size();
    if (const std::string verdict = s.check_agreement(); !verdict.empty()) throw UsageError(verdict);
    detail::RankInfo me{host_name(), static_cast<long>(getpid())};
    std::vector<detail::RankInfo> ranks;
    boost::mpi::gather(s.comm, me, ranks, 0);
    if (s.rank == 0) {
      s.core = std::make_shared<detail::EngineCore>(s.comm, s.registry, std::move(ranks), s.options.initializer);
      s.pool.emplace(Pool(s.core));
      if (s.options.end_on_uncaught_exception) {
        g_master_session = this;
        s.previous_terminate = std::set_terminate(end_on_uncaught_exception);
      }
    }
  } catch (...) {
    state_.reset();
    g_session_live.store(false);
    throw;
  }
}

bool Session::is_master() const noexcept { return state_->rank == 0; }
int Session::rank() const noexcept { return state_->rank; }
int Session::world_size() const noexcept { return state_->size; }

Pool* Session::pool() {
  State& s = *state_;
  if (s.rank == 0) return s.released ? nullptr : &*s.pool;
  if (!s.released) s.serve();
  return nullptr;
}

void Session::abandon(int exit_code) {
  if (state_->rank == 0) state_->shut_down(exit_code, /*drop_queued=*/true);
}

void Session::release(int exit_code) {
  if (state_->rank == 0) state_->shut_down(exit_code, /*drop_queued=*/false);
}

int Session::finish(int exit_code) {
  State& s = *state_;
  if (s.rank != 0) {
    pool();
    return s.worker_exit_code;
  }
  release(exit_code);
  return exit_code;
}

Session::~Session() {
  if (!state_) return;
  State& s = *state_;
  if (g_master_session == this) {
    g_master_session = nullptr;
    std::set_terminate(s.previous_terminate);
  }
  try {
    if (s.rank == 0 && !s.released) {
      const bool failing = std::uncaught_exceptions() > 0;
      s.shut_down(failing ? 1 : 0, failing);
    }
  } catch (...) {
    // A destructor must not throw; MPI_Finalize or the launcher ends the rest.
  }
  s.pool.reset();
  s.core.reset();  // before MPI ends with the environment
  state_.reset();
  g_session_live.store(false);
}

}  // namespace rankpool
