#pragma once
/// \file
/// The running command's process group dies with this rank: the signals that
/// end a rank (mpirun's SIGTERM, a scheduler's, Ctrl-C's SIGINT, SIGHUP) kill
/// the group first, then take their earlier course. Once one came, or the
/// rank noted a stop by other means (the stop probe), no command starts.

#include <sys/types.h>

namespace rankpool::exec {

/// Installs the handlers once per process (later calls do nothing). A signal
/// the process ignores (nohup's SIGHUP) stays ignored.
void install_group_guard();

/// Another source of "this rank is ending" (the command's note of SIGINT,
/// SIGTERM or SIGUSR1, which may predate the guard): set once at start-up.
void set_stop_probe(bool (*probe)() noexcept) noexcept;

/// The ending signal the guard caught (0: none), else -1 if the stop probe
/// says the rank is stopping, else 0.
int ending_signal_seen() noexcept;

/// The group the guard kills (0: none). Set right after a spawn; a signal
/// that came in between is seen by the caller through ending_signal_seen().
void set_running_group(pid_t group) noexcept;

}  // namespace rankpool::exec
