// A memory check: a program that makes a distinct job value for
// every task (10^6 of them) through apply_async. Each value's parameters go
// to a worker, and the worker forgets the job once its task is back, so the
// master's and the workers' memory stay flat. Prints RSS as it goes.
// usage: mpirun -np 3 example_job_values [TASKS]
#include <sys/resource.h>
#include <rankpool/rankpool.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

struct Offset {
  static constexpr const char* name = "offset";
  std::uint64_t offset = 0;
  // clang-format off
  template <class Archive> void serialize(Archive& ar, unsigned) { ar & offset; }
  // clang-format on
  std::uint64_t operator()(std::uint64_t index) const { return index + offset; }
};

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

int main(int argc, char** argv) {
  const std::uint64_t tasks = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Offset>());
  if (rankpool::Pool* pool = session.pool()) {
    std::uint64_t done = 0, wrong = 0;
    for (std::uint64_t i = 0; i < tasks; ++i) {
      pool->apply_async(Offset{i * 7}, i, [&, i](const std::uint64_t& value) {
        wrong += value != i * 8;
        ++done;
      });
      if (i % 1000 == 999) pool->wait_until([&] { return done + 4000 > i; });  // a bounded window in flight
      const std::uint64_t n = i + 1;
      if (n == 10'000 || n == 100'000 || n == 1'000'000 || n == tasks)
        std::cout << "after " << n << " distinct job values: master RSS " << rss_kib() / 1024 << " MiB" << std::endl;
    }
    pool->wait_until([&] { return done == tasks; });
    std::cout << "tasks " << done << ", wrong results " << wrong << std::endl;
  } else {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::cerr << "worker rank " << session.rank() << " peak RSS " << usage.ru_maxrss / 1024 << " MiB\n";
  }
  return session.finish();
}
