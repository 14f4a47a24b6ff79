/// \file
/// `rankpool`: the command. Every rank parses the command line; rank 0 runs
/// the chosen command on the pool while the others serve it.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include "cli/command.hpp"
#include "cli/heap_settings.hpp"
#include "cli/interrupts.hpp"
#include "cli/launch_rank.hpp"
#include "cli/launcher_stdout.hpp"
#include "cli/output_journal.hpp"
#include "cli/pool_options.hpp"
#include "cli/registry.hpp"
#include "rankpool/session.hpp"

namespace {

// The one place an error becomes an exit code: each rankpool error carries its own.
template <class Run>
int run_reporting_errors(Run&& run) {
  try {
    return run();
  } catch (const rankpool::cli::Interrupted& stop) {
    return rankpool::cli::end_interrupted(stop);  // its own line, and maybe the end of the process
  } catch (const rankpool::cli::AlreadyComplete& done) {
    std::cerr << "rankpool: " << done.what() << std::endl;
    return 0;
  } catch (const rankpool::StallError& stall) {
    // The silent worker cannot be released: say so, keep the journal, and end
    // here; the launcher then ends every other rank.
    const std::string& journal = rankpool::cli::run_progress().journal;
    std::cerr << "rankpool: error: " << stall.what()
              << (journal.empty() ? "" : "; " + journal + " kept; rerun with --resume") << std::endl;
    std::_Exit(1);
  } catch (const std::exception& error) {
    std::cerr << "rankpool: error: " << error.what() << std::endl;
    return rankpool::exit_code_of(error);
  }
}

int run_on_master(rankpool::Pool& pool, std::vector<std::unique_ptr<rankpool::cli::Command>>& commands) {
  return run_reporting_errors([&] {
    for (auto& command : commands)
      if (command->selected()) return command->run(pool);
    return 0;
  });
}

}  // namespace

int main(int argc, char** argv) {
  rankpool::cli::tune_heap(argc, argv);
  rankpool::cli::install_stop_signals(!rankpool::cli::is_launch_rank_zero());
  rankpool::cli::follow_launcher();
  // One writer owns stdout: decided before anything is written there.
  if (rankpool::cli::is_launch_rank_zero()) rankpool::cli::stdout_fd();
  CLI::App app{"rankpool: Python's multiprocessing.Pool over MPI ranks (rank 0 is the master)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rankpool 0.1.0");
  std::vector<std::unique_ptr<rankpool::cli::Command>> commands;
  rankpool::cli::add_all_commands(app, commands);
  std::string usage_error;

  try {
    if (argc > 1 && argv[1][0] != '-') {
      bool known = false;
      std::string names;
      for (const CLI::App* sub : app.get_subcommands({})) {
        known |= sub->get_name() == argv[1];
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      if (!known) throw CLI::ParseError("unknown command '" + std::string(argv[1]) + "' (commands: " + names + ")", 2);
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return rankpool::cli::is_launch_rank_zero() ? app.exit(error) : 0;
    usage_error = error.what();
  }
  if (usage_error.empty())
    for (auto& command : commands)
      if (command->selected() && command->standalone())
        return run_reporting_errors([&] { return command->run_standalone(); });
  if (usage_error.empty()) usage_error = rankpool::cli::take_bad_wait_environment();

  return run_reporting_errors([&] {
    // The command owns its process: it asks for the start-up tuning and the
    // one-line end of an uncaught exception that a library leaves off.
    rankpool::SessionOptions options;
    options.tune_startup = true;
    options.end_on_uncaught_exception = true;
    rankpool::Session session(argc, argv, rankpool::cli::all_jobs(), std::move(options));
    int code = 0;
    if (rankpool::Pool* pool = session.pool()) {
      // Every rank found the same usage error; the master says so before it
      // releases the others, so mpirun cannot cut the message off.
      if (!usage_error.empty()) {
        std::cerr << "rankpool: error: " << usage_error << std::endl;
        code = 2;
      } else {
        code = run_on_master(*pool, commands);
      }
    }
    return session.finish(code);
  });
}
