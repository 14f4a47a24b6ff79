#include "rankpool/detail/job_table.hpp"

#include <algorithm>
#include <exception>

#include "rankpool/job.hpp"

namespace rankpool::detail {

JobTable::JobTable(const JobRegistry& registry) : registry_(registry) {}

JobPtr JobTable::load(std::string_view name, std::string params) {
  std::string key;
  key.reserve(name.size() + 1 + params.size());
  key.append(name).push_back('\0');
  key += params;
  std::lock_guard lock(mutex_);
  if (auto found = by_key_.find(key); found != by_key_.end())
    if (JobPtr live = found->second.lock()) return live;
  if (!registry_.contains(std::string(name))) throw UsageError("unknown job '" + std::string(name) + "'");
  int concurrency = 1;
  try {
    concurrency = registry_.concurrency(std::string(name), params);
  } catch (const std::exception&) {
    // Parameters that do not load: the workers say so, task by task.
  }
  auto* entry = new JobEntry{next_id_++, std::string(name), std::move(params), key, std::max(concurrency, 1)};
  // The last holder files the job for forgetting; the engine tells the workers in its next round.
  JobPtr job(entry, [retired = retired_](const JobEntry* gone) {
    {
      std::lock_guard retired_lock(retired->mutex);
      retired->jobs.emplace_back(gone->id, gone->key);
    }
    delete gone;
  });
  by_key_[std::move(key)] = job;
  recent_.push_front(job);
  if (recent_.size() > kKeptRecent) recent_.pop_back();  // may retire it: the deleter takes only its own lock
  return job;
}

std::vector<std::uint64_t> JobTable::take_retired() {
  std::vector<std::pair<std::uint64_t, std::string>> gone;
  {
    std::lock_guard retired_lock(retired_->mutex);
    gone.swap(retired_->jobs);
  }
  std::vector<std::uint64_t> ids;
  if (gone.empty()) return ids;
  std::lock_guard lock(mutex_);
  for (auto& [id, key] : gone) {
    ids.push_back(id);
    if (auto found = by_key_.find(key); found != by_key_.end() && found->second.expired()) by_key_.erase(found);
  }
  return ids;
}

}  // namespace rankpool::detail
