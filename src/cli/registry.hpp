#pragma once
/// \file
/// What the command knows: every registered job's types (for the workers)
/// and commands.

#include <CLI/CLI.hpp>
#include <memory>
#include <vector>

#include "cli/command.hpp"
#include "rankpool/job.hpp"

namespace rankpool::cli {

/// Every job the `rankpool` command can run, registered on every rank.
JobRegistry all_jobs();

/// Adds every job's commands, and `compare` over the jobs that offer a workload.
void add_all_commands(CLI::App& app, std::vector<std::unique_ptr<Command>>& commands);

}  // namespace rankpool::cli
