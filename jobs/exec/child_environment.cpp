// The environment a command gets (ChildEnvironment, child_process.hpp).
#include "exec/child_process.hpp"

#include <cstring>

extern char** environ;

namespace rankpool::exec {

bool ChildEnvironment::is_scrubbed(const char* entry) noexcept {
  // Open MPI's and PMIx's settings (and MPICH's PMI_*) describe this rank's
  // place in the MPI job; an MPI program run as a command would try to join it.
  for (const char* prefix : {"OMPI_", "PMIX_", "PMI_", "RANKPOOL_TASK=", "RANKPOOL_RANK=", "RANKPOOL_HOST="})
    if (std::strncmp(entry, prefix, std::strlen(prefix)) == 0) return true;
  return false;
}

ChildEnvironment::ChildEnvironment(int rank, const std::string& host) {
  for (char** entry = environ; entry && *entry; ++entry)
    if (!is_scrubbed(*entry)) entries_.emplace_back(*entry);
  entries_.push_back("RANKPOOL_RANK=" + std::to_string(rank));
  entries_.push_back("RANKPOOL_HOST=" + host);
  task_slot_ = entries_.size();
  entries_.emplace_back("RANKPOOL_TASK=");
  for (std::string& entry : entries_) pointers_.push_back(entry.data());
  pointers_.push_back(nullptr);
}

void ChildEnvironment::set_task(std::uint64_t task) {
  entries_[task_slot_] = "RANKPOOL_TASK=" + std::to_string(task);
  pointers_[task_slot_] = entries_[task_slot_].data();
}

}  // namespace rankpool::exec
