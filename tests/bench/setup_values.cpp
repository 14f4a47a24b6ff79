// A sweep over distinct job values whose setup() builds a big table: every
// task of every value is queued at once (apply_async); with "hold", the
// master also keeps a loaded handle (Pool::load) of every value until the
// end, so no worker is told to forget one. A worker keeps the set-up jobs of at most
// kJobValuesKept values, so its peak RSS stays under what it had before its
// first setup() plus kJobValuesKept tables. Each worker prints its figures
// and exits 1 if it went over (plus a little slack for the allocator).
// usage: mpirun -np 3 bench_setup_values [VALUES [MIB_PER_TABLE [TASKS_PER_VALUE [hold]]]]
#include <sys/resource.h>
#include <rankpool/rankpool.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr long kSlackMiB = 16;  // the allocator's and MPI's own growth after the first setup()

long rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) / 1024;
  return -1;
}

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

long rss_before_first_setup = -1;
long setups_here = 0;

/// A lookup whose table (`mib` MiB, built by setup()) depends on the job value's key.
struct Lookup {
  static constexpr const char* name = "lookup";
  std::uint64_t key = 0;
  std::uint64_t mib = 50;
  std::vector<std::uint64_t> table;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & key & mib;
    // clang-format on
  }
  void setup() {
    if (rss_before_first_setup < 0) rss_before_first_setup = rss_mib();
    ++setups_here;
    table.assign(mib * kMiB / sizeof(std::uint64_t), key);  // every page written: resident
  }
  std::uint64_t operator()(std::uint64_t index) const { return table[index % table.size()] * 1000 + index; }
};

std::uint64_t arg(char** argv, int argc, int i, std::uint64_t fallback) {
  return argc > i ? std::strtoull(argv[i], nullptr, 10) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Lookup>());
  const std::uint64_t values = arg(argv, argc, 1, 100);
  const std::uint64_t mib = arg(argv, argc, 2, 50);
  const std::uint64_t tasks = arg(argv, argc, 3, 4);
  const bool hold = argc > 4 && std::string(argv[4]) == "hold";
  if (rankpool::Pool* pool = session.pool()) {
    std::vector<rankpool::LoadedJob<Lookup>> held;
    std::vector<rankpool::AsyncResult<std::uint64_t>> results;
    for (std::uint64_t key = 0; key < values; ++key) {
      if (hold) held.push_back(pool->load(Lookup{key, mib, {}}));
      for (std::uint64_t index = 0; index < tasks; ++index)
        results.push_back(hold ? pool->apply_async(held.back(), index)
                               : pool->apply_async(Lookup{key, mib, {}}, index));
    }
    std::uint64_t wrong = 0;
    for (std::uint64_t i = 0; i < results.size(); ++i) wrong += results[i].get() != (i / tasks) * 1000 + i % tasks;
    std::cout << values << " job values x " << tasks << " tasks, " << mib << " MiB table each"
              << (hold ? ", every value held" : "") << ", on " << pool->workers() << " workers: wrong results " << wrong
              << std::endl;
    return session.finish(wrong == 0 ? 0 : 1);
  }
  const int code = session.finish();
  const long peak = peak_rss_mib();
  const long tables = peak - rss_before_first_setup;
  const long bound = static_cast<long>(rankpool::kJobValuesKept * mib);
  const bool over = rss_before_first_setup >= 0 && tables > bound + kSlackMiB;
  std::cerr << "worker rank " << session.rank() << ": setup() ran " << setups_here << " times; peak RSS " << peak
            << " MiB = " << rss_before_first_setup << " MiB before the first setup() + " << tables << " MiB; bound "
            << rankpool::kJobValuesKept << " x " << mib << " = " << bound << " MiB" << (over ? "  OVER THE BOUND" : "")
            << std::endl;
  return over ? 1 : code;
}
