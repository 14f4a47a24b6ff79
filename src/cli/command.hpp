#pragma once
/// \file
/// A subcommand of `rankpool` that runs on the pool.

#include <CLI/CLI.hpp>

#include "rankpool/pool.hpp"

namespace rankpool::cli {

/// Parsed on every rank; run() runs on the master only, with the workers
/// serving it. Returns the exit code (0 success, 1 failure); UsageError means 2.
class Command {
 public:
  virtual ~Command() = default;
  virtual bool selected() const = 0;
  virtual int run(Pool& pool) = 0;
};

}  // namespace rankpool::cli
