#pragma once
/// \file
/// `rankpool compare factorial|reposts`: every variant, repeated, over a list
/// of pool sizes, in one launch; prints the seed-style table.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/run_variant.hpp"

namespace rankpool::cli {

/// One complete run of a job with a given variant, as compare repeats it.
using Workload = std::function<RunReport(Pool&, const RunOptions&)>;

/// A job compare can run: its subcommand (parsed under `compare`) and how to
/// build the workload from what was parsed.
struct CompareJob {
  std::string name;
  CLI::App* command = nullptr;
  std::function<Workload(Pool&)> make_workload;
};

class CompareCommand final : public Command {
 public:
  /// `add_jobs` adds each job's subcommand under `compare` and returns them.
  CompareCommand(CLI::App& app, const std::function<std::vector<CompareJob>(CLI::App&)>& add_jobs);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;

 private:
  CLI::App* command_;
  std::vector<CompareJob> jobs_;
  std::string pools_;
  int repeat_ = 3;
  std::uint64_t chunksize_ = 0;
  std::string csv_;
  std::string json_out_;
};

/// The 2014 post's own timing for a variant and pool size, or "" (docs/seed.md).
std::string seed_figure(const std::string& job, Variant variant, int pool);

}  // namespace rankpool::cli
