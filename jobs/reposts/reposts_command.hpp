#pragma once
/// \file
/// `rankpool reposts` and `rankpool mock-weibo`.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "cli/compare_command.hpp"
#include "cli/pool_options.hpp"
#include "reposts/mock_options.hpp"
#include "reposts/reposts_job.hpp"

namespace rankpool::cli {
class OutputJournal;
}

namespace rankpool::reposts {

/// Pages through the reposts of one post or of a file of posts, page 1 of
/// each first (it tells total_number), then the rest, as pool tasks.
class RepostsCommand final : public cli::Command {
 public:
  /// Adds `reposts` to `app`; under `compare`, with the job's options only.
  explicit RepostsCommand(CLI::App& app, bool for_compare = false);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;
  /// The job as parsed, fetched whole without output (for compare).
  cli::Workload workload();
  CLI::App* command() const noexcept { return command_; }

 private:
  struct Totals;
  RepostsJob prepare() const;
  cli::RunReport fetch(Pool& pool, const cli::RunOptions& run, const RepostsJob& job, cli::OutputJournal& journal,
                       Totals& totals) const;
  std::string fingerprint(const RepostsJob& job) const;
  /// Writes the journal's reposts to --out, newest first per post; returns how many.
  std::uint64_t write_output(cli::OutputJournal& journal, const RepostsJob& job, const Totals& totals,
                             bool keep_journal) const;

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
  double max_backoff_ = 60;
  int inflight_ = 1;
  std::string ca_file_;
  cli::PoolOptions options_;
};

/// `rankpool mock-weibo`: the embedded API server; needs no MPI.
class MockWeiboCommand final : public cli::Command {
 public:
  explicit MockWeiboCommand(CLI::App& app);
  bool selected() const override { return command_->parsed(); }
  int run(Pool& pool) override;
  bool standalone() const override { return true; }
  /// Runs the server in the foreground until SIGTERM / SIGINT.
  int run_standalone() override;

 private:
  CLI::App* command_;
  MockWeiboOptions options_;
};

}  // namespace rankpool::reposts
