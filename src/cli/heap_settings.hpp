#pragma once

namespace rankpool::cli {

/// Keeps freed heap memory in the process (up to 64 MiB above the heap's top,
/// blocks under 4 MiB from the heap) unless the user set glibc's malloc
/// tunables. A master that takes a stream of results frees one message's
/// worth after another; glibc's defaults hand each back to the kernel and
/// fault it in again with the next (~2 us per 4 KiB page on a VM).
/// Returns whether it changed the settings.
bool keep_freed_heap_memory();

/// Starts this program once more (same pid, same arguments) with glibc's
/// malloc tunables set: the settings of keep_freed_heap_memory, one arena for
/// every thread, and transparent huge pages for the heap. A map's master
/// writes its results into fresh memory from the pool's own thread; on a VM
/// a 4 KiB page fault costs ~12 us there, a third of a core at 0.1 ms tasks.
/// In the second start the environment is put back as the user gave it, so
/// nothing this program starts sees the tunables. Falls back to
/// keep_freed_heap_memory where the user set malloc variables, LD_PRELOAD or
/// RANKPOOL_NO_TUNING, in a worker's child process (Isolation), or where the
/// program cannot be started again; does nothing under AddressSanitizer.
/// Call first thing in main: returns only when no second start happens or in
/// the second start.
void tune_heap(char** argv);

}  // namespace rankpool::cli
