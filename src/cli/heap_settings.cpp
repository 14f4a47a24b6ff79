#include "cli/heap_settings.hpp"

#include <malloc.h>

#include <cstdlib>
#include <initializer_list>

namespace rankpool::cli {

bool keep_freed_heap_memory() {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"})
    if (std::getenv(name) != nullptr) return false;  // the user's settings win
  // Setting either turns off glibc's own adjustment of both, so set both.
  // Blocks of 4 MiB and more are still mapped on their own and given back
  // when freed (a map's scatter buffer), which keeps a map's peak lower.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  return true;
}

}  // namespace rankpool::cli
