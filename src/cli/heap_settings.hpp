#pragma once

namespace rankpool::cli {

/// Keeps freed heap memory in the process (up to 64 MiB above the heap's top,
/// blocks under 4 MiB from the heap) unless the user set glibc's malloc
/// tunables. A master that takes a stream of results frees one message's
/// worth after another; glibc's defaults hand each back to the kernel and
/// fault it in again with the next (~2 us per 4 KiB page on a VM).
/// Returns whether it changed the settings.
bool keep_freed_heap_memory();

}  // namespace rankpool::cli
