#include "cli/heap_settings.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "cli/launch_rank.hpp"
#include "rankpool/detail/spawned_child.hpp"

namespace rankpool::cli {

namespace {

/// glibc reads its tunables once, as a program starts: huge pages for the
/// heap can only be asked for there (the rest mallopt sets too).
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

/// Whether the command line asks for a variant that holds every result on
/// the master (map, map_async; compare runs them all).
bool holds_every_result(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "compare") return true;
  const auto is_map = [](std::string_view name) { return name == "map" || name == "map_async"; };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--variant" && i + 1 < argc && is_map(argv[i + 1])) return true;
    if (arg.starts_with("--variant=") && is_map(arg.substr(std::strlen("--variant=")))) return true;
  }
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

void tune_heap(int argc, char** argv) {
#ifdef __SANITIZE_ADDRESS__
  (void)argc;  // AddressSanitizer's allocator replaces glibc's: nothing to tune
  (void)argv;
#else
  if (std::getenv(kRestarted) != nullptr) {
    // Started again with the tunables in force: what this process starts
    // (a command's children) sees the environment as the user gave it.
    unsetenv("GLIBC_TUNABLES");
    unsetenv(kRestarted);
    return;
  }
  if (!keep_freed_heap_memory()) return;
  // Before any thread: the pool's thread then shares the main arena, which
  // grows by the top pad, where an arena of its own grows an mprotect per block.
  mallopt(M_ARENA_MAX, 1);
  if (std::getenv("RANKPOOL_NO_TUNING") != nullptr || std::getenv(detail::kChildVariable) != nullptr ||
      !is_launch_rank_zero() || !holds_every_result(argc, argv))
    return;
  setenv("GLIBC_TUNABLES", kHeapTunables, 1);
  setenv(kRestarted, "1", 1);
  execv("/proc/self/exe", argv);
  // No second start (no /proc): the settings above stay.
  unsetenv("GLIBC_TUNABLES");
  unsetenv(kRestarted);
#endif
}

}  // namespace rankpool::cli
