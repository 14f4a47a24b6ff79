#pragma once
/// \file
/// PoolCommand: what every job's pool subcommand shares.

#include <CLI/CLI.hpp>
#include <string>

#include "cli/command.hpp"
#include "cli/pool_options.hpp"

namespace rankpool::cli {

/// A Command that is one CLI11 subcommand whose run() drives the pool, with
/// the pool options every such command takes (--variant, --out, ...). A job's
/// command derives from it, adds its own options in its constructor, then
/// add_pool_options(), and defines run().
///
/// ```
/// SleepCommand::SleepCommand(CLI::App& app) : PoolCommand(app, "sleep", "tasks that only sleep") {
///   command_->add_option("--tasks", tasks_, "number of tasks")->required();
///   add_pool_options("not used by this job");
/// }
/// ```
class PoolCommand : public Command {
 public:
  bool selected() const override { return command_->parsed(); }
  /// The subcommand as added to its parent (`compare` lists it as a job).
  CLI::App* command() const noexcept { return command_; }

 protected:
  /// Adds the subcommand `name` to `app`.
  PoolCommand(CLI::App& app, const std::string& name, const std::string& description)
      : command_(app.add_subcommand(name, description)) {}
  /// Adds the pool options to the subcommand; `out_help` says what --out holds.
  void add_pool_options(const std::string& out_help) { cli::add_pool_options(*command_, options_, out_help); }

  CLI::App* const command_;
  PoolOptions options_;
};

}  // namespace rankpool::cli
