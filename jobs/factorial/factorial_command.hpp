#pragma once
/// \file
/// `rankpool factorial`: n! for a list or range of n, over the pool.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/command.hpp"
#include "cli/pool_options.hpp"

namespace rankpool::factorial {

class FactorialCommand final : public cli::Command {
 public:
  explicit FactorialCommand(CLI::App& app);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;

 private:
  CLI::App* command_;
  CLI::Option* numbers_option_ = nullptr;
  std::int64_t upto_ = 0;
  std::string numbers_;
  std::string backend_ = "gmp";
  std::string fail_on_;
  cli::PoolOptions options_;
};

}  // namespace rankpool::factorial
