#include "rankpool/session.hpp"

#include <unistd.h>

#include <boost/mpi/collectives/gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/child_runner.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/startup.hpp"
#include "rankpool/detail/worker.hpp"

namespace rankpool {

namespace {

Session* g_master_session = nullptr;

// An exception that escapes the user's code on the master would abort with a
// backtrace and leave mpirun to kill the workers: say what it was in one
// line, release the workers with exit code 1, and end.
[[noreturn]] void end_on_uncaught_exception() {
  std::string what = "unknown exception";
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& error) {
      what = error.what();
    } catch (...) {
    }
    what += " (" + detail::current_exception_type_of(current) + ")";
  }
  std::cerr << "rankpool: error: uncaught exception on the master: " << what << std::endl;
  if (g_master_session != nullptr) {
    try {
      g_master_session->abandon(1);
      MPI_Finalize();
    } catch (...) {
    }
  }
  std::_Exit(1);
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

}  // namespace

Session::Session(int& argc, char**& argv, JobRegistry registry) : registry_(std::move(registry)) {
  detail::serve_child_if_requested(registry_);  // a worker's child process serves here and ends
  isolation_ = detail::isolation_from_environment();
  if (!boost::mpi::environment::initialized()) {
    detail::tune_single_node_startup();
    environment_.emplace(argc, argv, /*abort_on_exception=*/true);
  }
  Backoff::tune_timer_slack();
  comm_ = boost::mpi::communicator(MPI_COMM_WORLD, boost::mpi::comm_duplicate);
  rank_ = comm_.rank();
  size_ = comm_.size();
  detail::RankInfo me{host_name(), static_cast<long>(getpid())};
  std::vector<detail::RankInfo> ranks;
  boost::mpi::gather(comm_, me, ranks, 0);
  if (rank_ == 0) {
    engine_ = std::make_unique<detail::Engine>(comm_, registry_, std::move(ranks));
    pool_ = std::make_unique<Pool>(*engine_);
    g_master_session = this;
    std::set_terminate(end_on_uncaught_exception);
  }
}

Pool* Session::pool() {
  if (rank_ == 0) return released_ ? nullptr : pool_.get();
  if (!released_) {
    detail::Worker worker(comm_, registry_, host_name(), isolation_);
    worker_exit_code_ = worker.serve();
    released_ = true;
  }
  return nullptr;
}

void Session::abandon(int exit_code) {
  if (rank_ != 0 || released_) return;
  released_ = true;
  engine_->abandon(exit_code);
}

void Session::release(int exit_code) {
  if (rank_ != 0 || released_) return;
  released_ = true;
  engine_->stop_workers(exit_code);
}

int Session::finish(int exit_code) {
  if (rank_ != 0) {
    pool();
    return worker_exit_code_;
  }
  release(exit_code);
  return exit_code;
}

Session::~Session() {
  if (g_master_session == this) g_master_session = nullptr;
  try {
    if (rank_ == 0 && !released_) {
      const bool failing = std::uncaught_exceptions() > 0;
      if (failing) engine_->cancel_queued();
      release(failing ? 1 : 0);
    }
  } catch (...) {
    // A destructor must not throw; MPI_Finalize or the launcher ends the rest.
  }
}

}  // namespace rankpool
