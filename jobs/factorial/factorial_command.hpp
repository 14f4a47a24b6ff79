#pragma once
/// \file
/// `rankpool factorial`: n! for a list or range of n, over the pool.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/compare_command.hpp"
#include "cli/pool_command.hpp"
#include "factorial/factorial_job.hpp"

namespace rankpool::factorial {

class FactorialCommand final : public cli::PoolCommand {
 public:
  /// Adds `factorial` to `app`; under `compare`, with the job's options only.
  explicit FactorialCommand(CLI::App& app, bool for_compare = false);
  int run(Pool& pool) override;
  /// The job as parsed, run whole with results kept in binary (for compare).
  cli::Workload workload();

 private:
  /// The job the options describe; throws UsageError.
  factorial::FactorialJob parse() const;

  /// The journal's first line: which numbers this run computes.
  std::string fingerprint(const NumberList& numbers) const;

  CLI::Option* numbers_option_ = nullptr;
  CLI::Option* numbers_file_option_ = nullptr;
  std::int64_t upto_ = 0;
  std::string numbers_;
  std::string numbers_file_;
  std::string backend_ = "gmp";
  std::string fail_on_;
};

}  // namespace rankpool::factorial
