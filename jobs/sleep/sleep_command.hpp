#pragma once
/// \file
/// `rankpool sleep --tasks N --seconds S`: overhead and latency measurements.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/command.hpp"

namespace rankpool::sleep_job {

/// Adds the `sleep` subcommand to `app`: N tasks that only sleep S seconds.
std::unique_ptr<cli::Command> make_sleep_command(CLI::App& app);

}  // namespace rankpool::sleep_job
