#pragma once
#include <cstdlib>
#include <cstring>

namespace rankpool::cli {

/// This process's rank as the launcher set it, before MPI starts: lets only
/// rank 0 print a usage error that every rank found.
inline bool is_launch_rank_zero() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    const char* value = std::getenv(name);
    if (value != nullptr) return std::strcmp(value, "0") == 0;
  }
  return true;
}

}  // namespace rankpool::cli
