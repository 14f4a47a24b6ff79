// Ends the calling process by a signal, as a task that crashes its worker does.
#pragma once

#include <sys/resource.h>

#include <csignal>

namespace rankpool_test {

/// Kills this process with `signal` (SIGSEGV, SIGABRT, ...), leaving no core file.
/// A real invalid access would be caught first by AddressSanitizer or
/// UndefinedBehaviorSanitizer in the sanitizer build, which end the process in
/// their own way (exit code 1, or SIGABRT); the default action of the signal
/// itself is what a crash looks like from outside in every build.
[[noreturn]] inline void die_by_signal(int signal) {
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
  std::_Exit(128 + signal);  // not reached: the default action of these signals ends the process
}

}  // namespace rankpool_test
