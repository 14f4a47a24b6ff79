#include "cli/heap_settings.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <initializer_list>

#include "rankpool/detail/spawned_child.hpp"

namespace rankpool::cli {

namespace {

/// glibc reads its tunables once, as a program starts. One arena: the pool's
/// thread allocates a map's values, and a thread's own arena grows by an
/// mprotect per block and never in huge pages.
constexpr const char* kHeapTunables =
    "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=4194304:"
    "glibc.malloc.trim_threshold=67108864";
/// Set for the second start only, so it happens once.
constexpr const char* kRestarted = "RANKPOOL_HEAP_RESTARTED";

bool user_set_malloc() {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                           "MALLOC_ARENA_MAX", "LD_PRELOAD"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

}  // namespace

bool keep_freed_heap_memory() {
  if (user_set_malloc()) return false;  // the user's settings win
  // Setting either turns off glibc's own adjustment of both, so set both.
  // Blocks of 4 MiB and more are still mapped on their own and given back
  // when freed (a map's scatter buffer), which keeps a map's peak lower.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  return true;
}

void tune_heap(char** argv) {
#ifdef __SANITIZE_ADDRESS__
  (void)argv;  // AddressSanitizer's allocator replaces glibc's: nothing to tune
#else
  if (std::getenv(kRestarted) != nullptr) {
    // Started again with the tunables in force: what this process starts
    // (a command's children) sees the environment as the user gave it.
    unsetenv("GLIBC_TUNABLES");
    unsetenv(kRestarted);
    return;
  }
  if (user_set_malloc() || std::getenv("RANKPOOL_NO_TUNING") != nullptr ||
      std::getenv(detail::kChildVariable) != nullptr) {
    keep_freed_heap_memory();
    return;
  }
  setenv("GLIBC_TUNABLES", kHeapTunables, 1);
  setenv(kRestarted, "1", 1);
  execv("/proc/self/exe", argv);
  // No second start (no /proc): the settings mallopt can still make.
  unsetenv("GLIBC_TUNABLES");
  unsetenv(kRestarted);
  keep_freed_heap_memory();
#endif
}

}  // namespace rankpool::cli
