// What an idle worker costs: the master maps a few tasks (so every worker
// has served and knows the wait policy), then computes on its own for
// SECONDS without calling the pool; each worker's CPU time over that spell
// is read from /proc (workers on the master's host only).
// usage: mpirun -np N idle_workers [SECONDS [block|backoff|auto]]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "rankpool/rankpool.hpp"

namespace {

struct Square {
  static constexpr const char* name = "square";
  std::uint64_t operator()(std::uint64_t index) const { return index * index; }
};

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
double cpu_seconds(long pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // past "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// The master's own work: arithmetic for `seconds`, no pool call.
double compute_for(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  double sum = 0;
  while (std::chrono::steady_clock::now() < until)
    for (int i = 1; i < 10000; ++i) sum += std::sqrt(static_cast<double>(i));
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<Square>());
  rankpool::Pool* pool = session.pool();
  if (!pool) return session.finish();
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  if (argc > 2) pool->set_wait_policy(rankpool::parse_wait_policy(argv[2]).value_or(rankpool::WaitPolicy::kAuto));
  pool->map(Square{}, 1000);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::vector<long> pids;
  for (int rank = 1; rank <= pool->workers(); ++rank)
    if (pool->rank_location(rank).host == host) pids.push_back(pool->rank_location(rank).pid);
  std::vector<double> before;
  for (long pid : pids) before.push_back(cpu_seconds(pid));
  const auto start = std::chrono::steady_clock::now();
  volatile double sink = compute_for(seconds);
  (void)sink;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double worst = 0;
  std::ostringstream each;
  each.precision(2);
  each << std::fixed;
  for (std::size_t i = 0; i < pids.size(); ++i) {
    const double share = 100 * (cpu_seconds(pids[i]) - before[i]) / wall;
    worst = std::max(worst, share);
    each << (i ? ", " : "") << share << " %";
  }
  std::cout.precision(2);
  std::cout << std::fixed << "policy " << rankpool::wait_policy_name(pool->wait_policy()) << ": " << pids.size()
            << " workers, CPU while the master computed " << wall << " s: " << each.str() << " (highest " << worst
            << " %)" << std::endl;
  pool->map(Square{}, 10);  // the workers still answer
  return session.finish();
}
