// While the master computes, does the pool's work go on? The program of a
// user who submits work, then computes on the master, then collects:
//
//   mpirun -np 3 rankpool_bench_master_works [--tasks 100] [--task-ms 20] [--master-s 1] [--repeat 3]
//
// For each of apply_async, imap and map_async: submit `tasks` tasks that sleep
// `task-ms` each (no CPU, so the master's own work competes with nothing),
// then `master-s` seconds of master-side computation, then take every result.
// Prints one JSON line per variant: the best wall time over the repeats, and
// the bound max(master-s, tasks × task-ms ÷ workers).
#include <rankpool/rankpool.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct SleepMs {
  static constexpr const char* name = "bench_sleep_ms";
  int millis = 20;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & millis;
    // clang-format on
  }
  std::uint64_t operator()(std::uint64_t index) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    return index;
  }
};

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// `seconds` of master-side CPU work that the optimiser cannot drop.
std::uint64_t compute(double seconds) {
  const auto t0 = Clock::now();
  std::uint64_t x = 88172645463325252ULL, sum = 0;
  while (since(t0) < seconds) {
    for (int i = 0; i < 4096; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      sum += x;
    }
  }
  return sum;
}

double run_once(rankpool::Pool& pool, const std::string& variant, const SleepMs& job, std::uint64_t tasks,
                double master_s, std::uint64_t& checksum) {
  const auto t0 = Clock::now();
  if (variant == "apply_async") {
    std::vector<rankpool::AsyncResult<std::uint64_t>> results;
    for (std::uint64_t i = 0; i < tasks; ++i) results.push_back(pool.apply_async(job, i));
    checksum += compute(master_s);
    for (auto& result : results) checksum += result.get();
  } else if (variant == "imap") {
    auto stream = pool.imap(job, tasks);
    checksum += compute(master_s);
    for (std::uint64_t value : stream) checksum += value;
  } else {
    auto future = pool.map_async(job, tasks);
    checksum += compute(master_s);
    for (std::uint64_t value : future.get()) checksum += value;
  }
  return since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t tasks = 100;
  int task_ms = 20;
  double master_s = 1.0;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--tasks")) tasks = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--task-ms")) task_ms = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--master-s")) master_s = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
  }
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<SleepMs>());
  if (rankpool::Pool* pool = session.pool()) {
    const SleepMs job{task_ms};
    std::uint64_t checksum = 0;
    pool->map(job, 2 * static_cast<std::uint64_t>(std::max(pool->workers(), 1)));  // warm-up: the job reaches the workers
    const int workers = std::max(pool->workers(), 1);
    const double work_s = static_cast<double>(tasks) * task_ms / 1000.0 / workers;
    for (const std::string variant : {"apply_async", "imap", "map_async"}) {
      double best = 1e300;
      for (int r = 0; r < repeat; ++r) best = std::min(best, run_once(*pool, variant, job, tasks, master_s, checksum));
      std::printf("{\"variant\": \"%s\", \"workers\": %d, \"tasks\": %llu, \"task_ms\": %d, \"master_s\": %g, "
                  "\"work_s\": %g, \"total_s\": %.4f}\n",
                  variant.c_str(), workers, static_cast<unsigned long long>(tasks), task_ms, master_s, work_s, best);
      std::fflush(stdout);
    }
    if (checksum == 42) std::puts("");
  }
  return session.finish();
}
