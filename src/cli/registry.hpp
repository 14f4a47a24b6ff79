#pragma once
/// \file
/// What the command knows: every job (for the workers) and the commands that
/// need no MPI at all (the mock API server).

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "cli/command.hpp"
#include "rankpool/job.hpp"

namespace rankpool::cli {

/// Every job the `rankpool` command can run, registered on every rank.
JobRegistry all_jobs();

/// Adds the commands beyond factorial and sleep.
void add_extra_commands(CLI::App& app, std::vector<std::unique_ptr<Command>>& commands);

/// Runs a selected command that needs no MPI (e.g. mock-weibo); nothing otherwise.
std::optional<int> run_standalone(std::vector<std::unique_ptr<Command>>& commands);

}  // namespace rankpool::cli
