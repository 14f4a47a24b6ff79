// Overlap benchmark: does map_async run while the master does its own work?
//
//   mpirun -np 3 rankpool_bench_overlap [--tasks N] [--seconds S] [--busy X1,X2,...] [--repeat R]
//
// The map is N tasks that sleep S seconds each (no CPU, so the master's own
// work does not compete with the workers for a core). For each X it times
//   map alone                 pool->map(job, N)                                  -> M
//   get only                  map_async; X s of master work; get()               -> T
//   ready() once              map_async; ready(); X s of work; get()             -> T
//   ready() every 10 ms       map_async; X s of work calling ready() every 10 ms; get()
// and prints one JSON object per line: mode, busy_s (X), map_s (M), total_s (T),
// T / max(X, M) (1.0 = perfect overlap) and T / (X + M) (1.0 = no overlap).
#include <rankpool/session.hpp>

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

struct SleepTask {
  static constexpr const char* name = "bench_overlap_sleep";
  double seconds = 0.1;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & seconds;
    // clang-format on
  }
  std::uint64_t operator()(std::uint64_t index) const {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return index;
  }
};

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// X seconds of master-side CPU work; `poke` runs every 10 ms when given.
template <class Poke>
std::uint64_t busy_work(double seconds, Poke poke) {
  const auto t0 = Clock::now();
  auto next_poke = t0;
  std::uint64_t x = 88172645463325252ULL, sum = 0;
  while (since(t0) < seconds) {
    for (int i = 0; i < 4096; ++i) {  // xorshift: real work the optimiser cannot drop
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      sum += x;
    }
    if (Clock::now() >= next_poke) {
      poke();
      next_poke += std::chrono::milliseconds(10);
    }
  }
  return sum;
}

std::vector<double> parse_list(const char* text) {
  std::vector<double> out;
  std::string s(text);
  for (std::size_t pos = 0; pos <= s.size();) {
    std::size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::atof(s.substr(pos, comma - pos).c_str()));
    pos = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t tasks = 20;
  double seconds = 0.1;
  int repeat = 1;
  std::vector<double> busy = {0.5, 1.0, 2.0};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--tasks")) tasks = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--busy")) busy = parse_list(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
  }
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<SleepTask>());
  if (rankpool::Pool* pool = session.pool()) {
    const SleepTask job{seconds};
    std::uint64_t checksum = 0;
    pool->map(job, 2 * static_cast<std::uint64_t>(std::max(pool->workers(), 1)));  // warm-up: job sent to workers
    double map_s = 1e300;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = Clock::now();
      for (auto v : pool->map(job, tasks)) checksum += v;
      map_s = std::min(map_s, since(t0));
    }
    const char* modes[] = {"get only", "ready() once", "ready() every 10 ms"};
    for (double x : busy) {
      for (int mode = 0; mode < 3; ++mode) {
        double best = 1e300;
        for (int r = 0; r < repeat; ++r) {
          const auto t0 = Clock::now();
          auto future = pool->map_async(job, tasks);
          if (mode == 1) future.ready();
          checksum += busy_work(x, [&] {
            if (mode == 2) future.ready();
          });
          for (auto v : future.get()) checksum += v;
          best = std::min(best, since(t0));
        }
        const double bound = std::max(x, map_s);
        std::printf(
            "{\"mode\": \"%s\", \"workers\": %d, \"tasks\": %llu, \"task_s\": %g, \"busy_s\": %g, \"map_s\": %.6f, "
            "\"total_s\": %.6f, \"over_max\": %.4f, \"over_sum\": %.4f}\n",
            modes[mode], pool->workers(), static_cast<unsigned long long>(tasks), seconds, x, map_s, best,
            best / bound, best / (x + map_s));
        std::fflush(stdout);
      }
    }
    if (checksum == 42) std::puts("");  // keep the work observable
  }
  return session.finish();
}
