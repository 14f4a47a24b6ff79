#pragma once
/// \file
/// `rankpool sleep --tasks N --seconds S`: overhead and latency measurements.

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/pool_options.hpp"

namespace rankpool::sleep_job {

class SleepCommand final : public cli::Command {
 public:
  explicit SleepCommand(CLI::App& app);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;

 private:
  CLI::App* command_;
  std::uint64_t tasks_ = 0;
  double seconds_ = 0;
  cli::PoolOptions options_;
};

}  // namespace rankpool::sleep_job
