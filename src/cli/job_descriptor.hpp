#pragma once
/// \file
/// JobDescriptor: all that a job folder under jobs/ exports. A job is one
/// folder that defines `rankpool::cli::JobDescriptor rankpool_job_<name>()`
/// and one line `rankpool_add_job(<name>)` in jobs/CMakeLists.txt, which
/// generates the list the command reads. A folder without that line fails
/// the configure step; a line without the function fails the link.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/compare_command.hpp"
#include "rankpool/job.hpp"

namespace rankpool::cli {

struct JobDescriptor {
  std::string name;
  /// Registers the job types the workers run (every rank).
  std::function<void(JobRegistry&)> add_jobs;
  /// Adds the job's subcommands to `app`.
  std::function<void(CLI::App& app, std::vector<std::unique_ptr<Command>>& commands)> add_commands;
  /// Optional: adds the job under `rankpool compare` and says how to run its workload.
  std::function<CompareJob(CLI::App& compare)> add_compare;
};

/// Every job registered in jobs/CMakeLists.txt, in that order (generated).
std::vector<JobDescriptor> all_job_descriptors();

}  // namespace rankpool::cli
