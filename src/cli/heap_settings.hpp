#pragma once

namespace rankpool::cli {

/// Keeps freed heap memory in the process (up to 64 MiB above the heap's top,
/// blocks under 4 MiB from the heap) unless the user set glibc's malloc
/// tunables. A master that takes a stream of results frees one message's
/// worth after another; glibc's defaults hand each back to the kernel and
/// fault it in again with the next (~2 us per 4 KiB page on a VM).
/// Returns whether it changed the settings.
bool keep_freed_heap_memory();

/// Tunes glibc's heap for the command, first thing in main: the settings of
/// keep_freed_heap_memory, and one arena for every thread (the pool's thread
/// writes a map's values; an arena of its own grows one mprotect and one
/// 4 KiB page at a time, ~12 us a fault on a VM). On the master of a run that
/// holds every result (map, map_async, compare) it also starts this program
/// once more (same pid, same arguments) with glibc's tunables for huge pages
/// on the heap, which only a start can ask for (~30 ms); the second start
/// puts the environment back as the user gave it, so nothing this program
/// starts sees the tunables. Leaves everything to the user who set malloc
/// variables or LD_PRELOAD; no second start under RANKPOOL_NO_TUNING, in a
/// worker's child process (Isolation), or where the program cannot be
/// started again; nothing under AddressSanitizer.
void tune_heap(int argc, char** argv);

}  // namespace rankpool::cli
