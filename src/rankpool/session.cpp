#include "rankpool/session.hpp"

#include <unistd.h>

#include <boost/mpi/collectives/gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <exception>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/startup.hpp"
#include "rankpool/detail/worker.hpp"

namespace rankpool {

namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

}  // namespace

Session::Session(int& argc, char**& argv, JobRegistry registry) : registry_(std::move(registry)) {
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
  }
}

Pool* Session::pool() {
  if (rank_ == 0) return released_ ? nullptr : pool_.get();
  if (!released_) {
    detail::Worker worker(comm_, registry_, host_name());
    worker_exit_code_ = worker.serve();
    released_ = true;
  }
  return nullptr;
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
