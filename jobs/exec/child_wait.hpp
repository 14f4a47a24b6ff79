#pragma once
/// \file
/// Waiting for a running command: its output read as it comes, its time
/// limit kept (SIGTERM to the group, SIGKILL after the grace).

#include <sys/types.h>

#include <chrono>

#include "exec/child_process.hpp"
#include "exec/child_spawn.hpp"

namespace rankpool::exec {

/// Reads the command's output until it has ended (or been killed past its
/// limit) and both pipes are closed; does not reap it. `exit_fd` is a pidfd
/// (or none: then it asks every 10 ms).
void wait_for(pid_t pid, const Fd& exit_fd, Pipe& out, Pipe& err, const ChildRequest& request,
              std::chrono::steady_clock::time_point start, ChildResult& result);

/// The exit status, or 128 + the signal that ended it.
int exit_code_of(int status);

}  // namespace rankpool::exec
