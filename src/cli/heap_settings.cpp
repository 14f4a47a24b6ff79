#include "cli/heap_settings.hpp"

#include <malloc.h>

#include <cstdlib>
#include <initializer_list>

namespace rankpool::cli {

void keep_freed_heap_memory() {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"})
    if (std::getenv(name) != nullptr) return;  // the user's settings win
  // Setting either turns off glibc's own adjustment of both, so set both:
  // 32 MiB is the most that adjustment would raise the mapping threshold to.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace rankpool::cli
