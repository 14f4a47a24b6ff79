// Session behaviours that need a Session of their own, one per run:
//   session_cases manners    a Session made without options leaves the environment,
//                            the calling thread's timer slack and the terminate handler as they were
//   session_cases registry   a registry that differs on the last rank is refused on every rank, naming the job
//   session_cases stall      finish() after a caught StallError releases every worker and returns
//   session_cases crash      a task that segfaults its worker: the run ends with a line naming job, task and signal
//   session_cases exit       a task that calls exit(3): the same with the exit code
// Prints "ok: ..." lines and exits 0 on success; any failure exits 1 with a line saying what.
#include <sys/prctl.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "rankpool/rankpool.hpp"
#include "test_jobs.hpp"

extern char** environ;

namespace {

using rankpool::testing::Nap;

/// Task 7 kills its worker: with a segfault, or by calling exit(3).
struct Crash {
  static constexpr const char* name = "crash_at_7";
  bool by_exit = false;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & by_exit;
    // clang-format on
  }
  int operator()(std::uint64_t index) const {
    if (index == 7) {
      if (by_exit) std::exit(3);
      std::raise(SIGSEGV);
    }
    return static_cast<int>(index);
  }
};

struct Extra {
  static constexpr const char* name = "extra_on_the_last_rank";
  int operator()(std::uint64_t index) const { return static_cast<int>(index); }
};

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals != nullptr) out[std::string(*entry, static_cast<std::size_t>(equals - *entry))] = equals + 1;
  }
  return out;
}

int fail(const std::string& what) {
  std::cout << "FAIL: " << what << std::endl;
  return 1;
}

void on_terminate() { std::abort(); }

int manners(int argc, char** argv) {
  std::set_terminate(on_terminate);
  const auto before = environment();
  const int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Nap>());
  int code = 0;
  if (rankpool::Pool* pool = session.pool()) {
    pool->map(Nap{1}, 8);  // the engine's thread has run
    // Open MPI's own start sets variables of its own (OMPI_*, PMIX_*, PSM2_*,
    // OPAL_*): those are not the session's. The ones a session used to set are checked by name.
    const auto mpis = [](const std::string& name) {
      for (const char* prefix : {"OMPI_", "PMIX_", "PSM2_", "OPAL_"})
        if (name.rfind(prefix, 0) == 0) return true;
      return false;
    };
    const auto after = environment();
    for (const auto& [name, value] : after)
      if (!mpis(name) && before.count(name) == 0) code = fail("the session set " + name + "=" + value);
    for (const auto& [name, value] : before)
      if (!mpis(name) && (after.count(name) == 0 || after.at(name) != value))
        code = fail("the session changed " + name);
    for (const char* name :
         {"OMPI_MCA_pml", "OMPI_MCA_ess_singleton_isolated", "HWLOC_COMPONENTS", "HWLOC_PLUGINS_BLACKLIST"})
      if (after.count(name) != before.count(name)) code = fail(std::string("the session set ") + name);
    if (prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != slack) code = fail("the session changed this thread's timer slack");
    if (std::get_terminate() != on_terminate) code = fail("the session replaced the terminate handler");
    if (code == 0) std::cout << "ok: environment, timer slack and terminate handler as they were" << std::endl;
  }
  const int released = session.finish(code);
  if (!session.is_master() && prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != slack)
    return fail("a worker's timer slack stayed changed after serving");
  return released;
}

int registry(int argc, char** argv, int world_rank, int world_size) {
  rankpool::JobRegistry jobs;
  jobs.add<Nap>();
  if (world_rank == world_size - 1 && world_size > 1) jobs.add<Extra>();
  try {
    rankpool::Session session(argc, argv, std::move(jobs));
    return world_size > 1 ? fail("the session started with different registries") : 0;
  } catch (const rankpool::UsageError& error) {
    const std::string what = error.what();
    if (what.find("extra_on_the_last_rank") == std::string::npos) return fail("the error names no job: " + what);
    std::cout << "ok: rank " << world_rank << " refused: " << what << std::endl;
    return 0;
  }
}

int stall(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Nap>());
  if (rankpool::Pool* pool = session.pool()) {
    if (pool->workers() == 0) return session.finish(0);  // one rank: the master's own thread is never stalled
    pool->set_task_timeout(0.2);
    try {
      auto pending = pool->map_async(Nap{1500}, 2 * pool->workers());
      pending.get();
      return session.finish(fail("no StallError"));
    } catch (const rankpool::StallError& error) {
      const std::string what = error.what();
      std::cout << "ok: caught: " << what << std::endl;
      if (what.find("--task-timeout") != std::string::npos) return session.finish(fail("names a flag"));
      if (what.find("0.2 s") == std::string::npos) return session.finish(fail("does not say 0.2 s"));
    }
  }
  const int code = session.finish();
  std::cout << "ok: finish() returned " << code << " on rank " << session.rank() << std::endl;
  return code;
}

int crash(int argc, char** argv, bool by_exit) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Crash>());
  if (rankpool::Pool* pool = session.pool()) {
    if (pool->workers() == 0) return session.finish(0);
    pool->map(Crash{by_exit}, 20, 1);  // the run ends inside: task 7 takes its worker down
    std::cout << "FAIL: the map came back" << std::endl;
    return session.finish(1);
  }
  return session.finish();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  const char* rank_text = std::getenv("OMPI_COMM_WORLD_RANK");
  const char* size_text = std::getenv("OMPI_COMM_WORLD_SIZE");
  const int world_rank = rank_text ? std::atoi(rank_text) : 0;
  const int world_size = size_text ? std::atoi(size_text) : 1;
  if (which == "manners") return manners(argc, argv);
  if (which == "registry") return registry(argc, argv, world_rank, world_size);
  if (which == "stall") return stall(argc, argv);
  if (which == "crash" || which == "exit") return crash(argc, argv, which == "exit");
  std::cerr << "usage: session_cases manners|registry|stall" << std::endl;
  return 2;
}
