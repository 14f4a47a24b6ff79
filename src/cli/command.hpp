#pragma once
/// \file
/// A subcommand of `rankpool`.

#include <CLI/CLI.hpp>

#include "rankpool/pool.hpp"

namespace rankpool::cli {

/// Parsed on every rank; run() runs on the master only, with the workers
/// serving it. Returns the exit code (0 success, 1 failure); an exception
/// ends the run with its own exit code (rankpool::exit_code_of).
class Command {
 public:
  virtual ~Command() = default;
  virtual bool selected() const = 0;
  virtual int run(Pool& pool) = 0;
  /// Whether the command needs no MPI at all (it then runs through run_standalone()).
  virtual bool standalone() const { return false; }
  virtual int run_standalone() { return 0; }
};

}  // namespace rankpool::cli
