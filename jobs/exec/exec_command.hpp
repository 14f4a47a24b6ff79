#pragma once
/// \file
/// `rankpool exec --tasks FILE`: a command farm. Each line of FILE is a
/// shell command; the workers run them, every one even when some fail, and
/// `--out` records what each did (JSON Lines, in task order).

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/command.hpp"

namespace rankpool::exec {

/// Adds the `exec` subcommand to `app`. Its exit code: 0 when every command
/// exited 0, 1 when any failed or a task could not run; bad input throws
/// UsageError.
std::unique_ptr<cli::Command> make_exec_command(CLI::App& app);

}  // namespace rankpool::exec
