#pragma once
/// \file
/// `rankpool reposts` and `rankpool mock-weibo`.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "cli/pool_options.hpp"
#include "reposts/mock_options.hpp"

namespace rankpool::reposts {

/// Pages through the reposts of one post or of a file of posts, page 1 of
/// each first (it tells total_number), then the rest, as pool tasks.
class RepostsCommand final : public cli::Command {
 public:
  explicit RepostsCommand(CLI::App& app);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;

 private:
  CLI::App* command_;
  std::string mid_;
  std::string mids_file_;
  std::string api_base_ = "https://api.weibo.com";
  std::string token_file_;
  int count_ = 200;
  int max_pages_ = 10;
  double max_rps_ = 0;
  double connect_timeout_ = 10;
  double timeout_ = 30;
  int retries_ = 5;
  std::string ca_file_;
  cli::PoolOptions options_;
};

/// `rankpool mock-weibo`: the embedded API server; needs no MPI.
class MockWeiboCommand final : public cli::Command {
 public:
  explicit MockWeiboCommand(CLI::App& app);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;
  /// Runs the server in the foreground until SIGTERM / SIGINT.
  int run_standalone();

 private:
  CLI::App* command_;
  MockWeiboOptions options_;
};

}  // namespace rankpool::reposts
