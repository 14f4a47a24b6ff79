// terminate() stops the work: during map_async, apply_async and imap of
// 10,000 tasks of 5 s, `terminate(); join();` returns at once (the time is
// printed, not asserted); no worker starts a task after the one it was running;
// a running task that takes a std::stop_token sees its stop and ends; one
// that does not runs to its end and finish() waits for it; the pool serves
// the next call, and finish() returns 0.
// usage: mpirun -np N terminate_cases stop|plain
#include <unistd.h>

#include <boost/serialization/string.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "rankpool/rankpool.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Leaves an empty file `dir/what.index`: proof, seen from the master, of what a task did.
void mark(const std::string& dir, const std::string& what, std::uint64_t index) {
  std::ofstream(dir + "/" + what + "." + std::to_string(index)).flush();
}

std::size_t count_marks(const std::string& dir, const std::string& what) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind(what + ".", 0) == 0) ++count;
  return count;
}

/// Sleeps `seconds` unless its stop is requested first; marks "started",
/// then "stopped" or "slept".
struct Doze {
  static constexpr const char* name = "doze";
  int seconds = 5;
  std::string marks;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & seconds & marks;
    // clang-format on
  }
  std::uint64_t operator()(std::uint64_t index, std::stop_token stop) const {
    mark(marks, "started", index);
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    never.wait_for(lock, stop, std::chrono::seconds(seconds), [] { return false; });
    mark(marks, stop.stop_requested() ? "stopped" : "slept", index);
    return index;
  }
};

/// The same without a stop token: it always sleeps its whole time.
struct Drowse {
  static constexpr const char* name = "drowse";
  int seconds = 3;
  std::string marks;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & seconds & marks;
    // clang-format on
  }
  std::uint64_t operator()(std::uint64_t index) const {
    mark(marks, "started", index);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    mark(marks, "slept", index);
    return index;
  }
};

struct Twice {
  static constexpr const char* name = "twice";
  std::uint64_t operator()(std::uint64_t index) const { return 2 * index; }
};

constexpr std::uint64_t kTasks = 10'000;

int failures = 0;
void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok: " : "FAILED: ") << what << std::endl;
  if (!ok) ++failures;
}

bool wait_for_mark(const std::string& dir, const std::string& what) {
  const auto give_up = Clock::now() + std::chrono::seconds(120);
  while (count_marks(dir, what) == 0 && Clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return count_marks(dir, what) > 0;
}

/// Submits kTasks tasks of `job` through `variant` on a handle of its own,
/// waits until one runs, and terminates the handle. Returns the handle's results' state.
template <class J>
void terminate_during(rankpool::Pool& pool, const std::string& variant, const J& job) {
  rankpool::Pool handle = pool;
  std::vector<rankpool::AsyncResult<std::uint64_t>> singles;
  std::optional<rankpool::AsyncResult<std::vector<std::uint64_t>>> mapped;
  std::optional<rankpool::ResultStream<std::uint64_t>> stream;
  if (variant == "map_async") mapped.emplace(handle.map_async(job, kTasks));
  if (variant == "apply_async")
    for (std::uint64_t i = 0; i < kTasks; ++i) singles.push_back(handle.apply_async(job, i));
  if (variant == "imap") stream.emplace(handle.imap(job, kTasks));
  check(wait_for_mark(job.marks, "started"), variant + ": a task started");
  const auto before = Clock::now();
  handle.terminate();
  handle.join();
  const double took = std::chrono::duration<double>(Clock::now() - before).count();
  std::cout << "terminate+join during " << variant << " of " << kTasks << " tasks of " << job.seconds << " s: " << took
            << " s" << std::endl;
  if (mapped) check(mapped->ready() && !mapped->successful(), variant + ": the call failed \"terminated\"");
  if (!singles.empty())
    check(singles.back().ready() && !singles.back().successful(), variant + ": the last call failed \"terminated\"");
  if (stream) {
    bool raised = false;
    try {
      for (std::uint64_t value : *stream) (void)value;
    } catch (const std::exception&) {
      raised = true;
    }
    check(raised, variant + ": the stream raised");
  }
  check(pool.apply(Twice{}, 21) == 42, variant + ": the pool serves the next call");
}

int run(rankpool::Session& session, const std::string& which) {
  rankpool::Pool* pool = session.pool();
  if (!pool) return session.finish();
  const std::size_t workers = static_cast<std::size_t>(std::max(pool->workers(), 1));
  const fs::path root = fs::temp_directory_path() / ("rankpool_terminate_" + std::to_string(getpid()));
  for (const std::string variant : {"map_async", "apply_async", "imap"}) {
    const std::string marks = (root / variant).string();
    fs::create_directories(marks);
    if (which == "stop")
      terminate_during(*pool, variant, Doze{5, marks});
    else
      terminate_during(*pool, variant, Drowse{3, marks});
  }
  const int code = session.finish(0);
  // Every task has ended now (finish waited for them): count what ran.
  for (const std::string variant : {"map_async", "apply_async", "imap"}) {
    const std::string marks = (root / variant).string();
    const std::size_t started = count_marks(marks, "started");
    std::cout << variant << ": " << started << " of " << kTasks << " tasks started on " << workers << " workers, "
              << count_marks(marks, "stopped") << " stopped, " << count_marks(marks, "slept") << " slept" << std::endl;
    check(started <= workers, variant + ": no worker started a task after the one it was running");
    if (which == "stop")
      check(count_marks(marks, "stopped") == started, variant + ": every started task saw its stop");
    else
      check(count_marks(marks, "slept") == started, variant + ": every started task ran to its end");
  }
  fs::remove_all(root);
  check(code == 0, "finish() returned 0");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (which != "stop" && which != "plain") {
    std::cerr << "usage: terminate_cases stop|plain" << std::endl;
    return 2;
  }
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Doze>().add<Drowse>().add<Twice>());
  return run(session, which);
}
