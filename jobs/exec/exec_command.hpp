#pragma once
/// \file
/// `rankpool exec --tasks FILE`: a command farm. Each line of FILE is a
/// shell command; the workers run them, every one even when some fail, and
/// `--out` records what each did (JSON Lines, in task order).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/command.hpp"
#include "cli/pool_options.hpp"

namespace rankpool::exec {

class ExecCommand final : public cli::Command {
 public:
  explicit ExecCommand(CLI::App& app);
  bool selected() const override { return command_->parsed(); }
  /// Exit code: 0 when every command exited 0, 1 when any failed or a task
  /// could not run; throws UsageError for bad input.
  int run(Pool& pool) override;

 private:
  CLI::App* command_;
  std::string tasks_path_;
  std::string output_dir_;
  std::uint64_t capture_bytes_ = 65536;
  std::uint32_t retries_ = 0;
  cli::PoolOptions options_;
};

}  // namespace rankpool::exec
