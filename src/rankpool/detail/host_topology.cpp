#include "rankpool/detail/host_topology.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <map>
#include <utility>

namespace rankpool::detail {

std::vector<std::uint64_t> affinity_words() {
  std::vector<std::uint64_t> words;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) {
        const auto word = static_cast<std::size_t>(cpu / 64);
        if (words.size() <= word) words.resize(word + 1, 0);
        words[word] |= std::uint64_t{1} << (cpu % 64);
      }
    return words;
  }
#endif
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  for (long cpu = 0; cpu < std::max(online, 1L); ++cpu) {
    const auto word = static_cast<std::size_t>(cpu / 64);
    if (words.size() <= word) words.resize(word + 1, 0);
    words[word] |= std::uint64_t{1} << (cpu % 64);
  }
  return words;
}

WaitPolicy auto_wait_policy(const std::vector<RankInfo>& ranks) {
  // Per host: the ranks there, and the union of the CPUs they may use (ranks
  // bound to one core each see one CPU apiece, which together make enough).
  std::map<std::string, std::pair<std::size_t, std::vector<std::uint64_t>>> hosts;
  for (const RankInfo& rank : ranks) {
    auto& [count, cpus] = hosts[rank.host];
    ++count;
    if (cpus.size() < rank.cpus.size()) cpus.resize(rank.cpus.size(), 0);
    for (std::size_t i = 0; i < rank.cpus.size(); ++i) cpus[i] |= rank.cpus[i];
  }
  for (const auto& [host, entry] : hosts) {
    std::size_t cores = 0;
    for (std::uint64_t word : entry.second) cores += static_cast<std::size_t>(std::popcount(word));
    if (entry.first > cores) return WaitPolicy::kBackoff;
  }
  return WaitPolicy::kBlock;
}

}  // namespace rankpool::detail
