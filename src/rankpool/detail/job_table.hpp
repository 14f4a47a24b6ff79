#pragma once
/// \file
/// JobTable: the jobs the master has loaded, by name and parameters, each
/// with the id the workers know it by. Safe to use from any thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rankpool/detail/core.hpp"

namespace rankpool {
class JobRegistry;
}

namespace rankpool::detail {

class JobTable {
 public:
  /// How many job values stay loaded after their last call lets go, so a loop
  /// of calls over one job value sends its parameters once. The workers hold
  /// the jobs of running calls plus at most these.
  static constexpr std::size_t kKeptRecent = 2;

  explicit JobTable(const JobRegistry& registry);

  /// The job with this name and parameters, loaded once while anyone holds
  /// it; throws UsageError for a name nobody registered.
  JobPtr load(std::string_view name, std::string params);
  /// The ids of the jobs nobody holds any more, each once: the workers forget them.
  std::vector<std::uint64_t> take_retired();

 private:
  const JobRegistry& registry_;
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::string, std::weak_ptr<const JobEntry>> by_key_;
  std::deque<JobPtr> recent_;
  // Shared with the entries' deleters, which run wherever the last holder lets go.
  struct Retired {
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, std::string>> jobs;
  };
  std::shared_ptr<Retired> retired_ = std::make_shared<Retired>();
};

}  // namespace rankpool::detail
