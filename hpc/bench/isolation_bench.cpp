// Isolation's costs (hpc/bench/isolation.sh runs this under mpirun, with and
// without RANKPOOL_ISOLATE):
//   isolation_bench trivial TASKS REPEATS   map of TASKS trivial tasks, then TASKS/10 apply calls
//   isolation_bench leak TASKS MB           every task leaks MB MiB; the peak RSS of the processes that ran them
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "rankpool/rankpool.hpp"

namespace {

struct Identity {
  static constexpr const char* name = "identity";
  std::uint64_t operator()(std::uint64_t index) const { return index; }
};

/// What a leaking task saw of the process that ran it.
struct Footprint {
  std::uint64_t pid = 0;
  std::uint64_t peak_kib = 0;  // VmHWM after the task's leak
};

std::uint64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

/// Allocates `mib` MiB, touches every page, never frees it.
struct Leak {
  static constexpr const char* name = "leak";
  std::uint64_t mib = 100;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & mib;
    // clang-format on
  }
  Footprint operator()(std::uint64_t) const {
    const std::size_t bytes = mib << 20;
    char* block = static_cast<char*>(std::malloc(bytes));
    if (block == nullptr) throw std::bad_alloc();
    for (std::size_t i = 0; i < bytes; i += 4096) block[i] = 1;
    return Footprint{static_cast<std::uint64_t>(getpid()), peak_rss_kib()};
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void trivial(rankpool::Pool& pool, std::uint64_t tasks, int repeats) {
  std::vector<double> map_us, apply_us;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    const auto values = pool.map(Identity{}, tasks);
    map_us.push_back(seconds_since(start) * 1e6 / static_cast<double>(tasks));
    if (values.size() != tasks || values.back() != tasks - 1) throw std::runtime_error("wrong map result");
    const std::uint64_t calls = std::max<std::uint64_t>(tasks / 10, 1);
    start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < calls; ++i)
      if (pool.apply(Identity{}, i) != i) throw std::runtime_error("wrong apply result");
    apply_us.push_back(seconds_since(start) * 1e6 / static_cast<double>(calls));
  }
  std::sort(map_us.begin(), map_us.end());
  std::sort(apply_us.begin(), apply_us.end());
  std::cout << std::fixed << std::setprecision(2) << "map us/task: best " << map_us.front() << " median "
            << map_us[map_us.size() / 2] << "; apply us/call: best " << apply_us.front() << " median "
            << apply_us[apply_us.size() / 2] << std::endl;
}

void leak(rankpool::Pool& pool, std::uint64_t tasks, std::uint64_t mib) {
  const auto prints = pool.map(Leak{mib}, tasks, /*chunksize=*/1);
  std::set<std::uint64_t> pids;
  std::uint64_t peak = 0;
  for (const Footprint& print : prints) {
    pids.insert(print.pid);
    peak = std::max(peak, print.peak_kib);
  }
  std::cout << "tasks " << tasks << " of " << mib << " MiB each: " << pids.size()
            << " processes ran them; highest peak RSS (VmHWM) " << peak / 1024 << " MiB" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Identity>().add<Leak>());
  int code = 0;
  if (rankpool::Pool* pool = session.pool()) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
      if (mode == "trivial" && argc == 4)
        trivial(*pool, std::stoull(argv[2]), std::stoi(argv[3]));
      else if (mode == "leak" && argc == 4)
        leak(*pool, std::stoull(argv[2]), std::stoull(argv[3]));
      else {
        std::cerr << "rankpool: error: usage: isolation_bench trivial TASKS REPEATS | leak TASKS MIB" << std::endl;
        code = 2;
      }
    } catch (const std::exception& error) {
      std::cerr << "rankpool: error: " << error.what() << std::endl;
      code = 1;
    }
  }
  return session.finish(code);
}
