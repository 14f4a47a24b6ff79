#pragma once
/// \file
/// The options every pool command shares, and the run report they print.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/output_journal.hpp"
#include "cli/run_variant.hpp"
#include "rankpool/pool.hpp"

namespace rankpool::cli {

struct PoolOptions {
  std::string variant = "apply_async";
  std::uint64_t chunksize = 0;
  int pool = 0;
  bool json = false;
  bool stats = false;
  bool master_works = false;
  bool trace = false;
  std::string trace_out;
  std::string on_error = "stop";
  std::string out;
  bool resume = false;
  bool fresh = false;
  double drain_seconds = 60;
  double task_timeout = 0;
  bool progress = false;
  double progress_interval = 0;  ///< 0: 1 s on a terminal, 30 s in a log
  std::string wait;              ///< --wait: auto, block, backoff ("": the session's, i.e. RANKPOOL_WAIT or auto)
};

/// Adds --variant, --chunksize, --pool, --json, --trace, --trace-out, --on-error, --out, --resume, --fresh,
/// --drain-seconds, --task-timeout, --progress, --progress-interval, --wait.
void add_pool_options(CLI::App& command, PoolOptions& options, const std::string& out_help);

/// Validates the options against the running pool, sizes the pool, arms it
/// for SIGINT, SIGTERM and SIGUSR1 (see interrupts.hpp), and returns how to
/// run. Throws UsageError.
RunOptions apply_pool_options(const PoolOptions& options, Pool& pool);

/// The usage error of a RANKPOOL_WAIT that is not auto, block or backoff
/// ("": none). It takes the variable out of this process's environment, so the
/// session does not warn of it again.
std::string take_bad_wait_environment();

/// What --resume and --fresh ask of an existing FILE.partial.
JournalMode journal_mode(const PoolOptions& options) noexcept;

/// Throws UsageError if two outputs of the run (--out, its journal,
/// --trace-out, stdout for --json or --out -) are one file, by name or by
/// device and inode.
void check_distinct_outputs(const PoolOptions& options);

/// Throws UsageError if --out (or its journal) is the input file `input`
/// (named by `option`), by name or by device and inode: the results would
/// replace what they were made from. "" and "-" name no file.
void check_not_an_input(const PoolOptions& options, const std::string& input, const std::string& option);

/// A CLI11 check that refuses NaN and the infinities (CLI::Range lets NaN
/// through: every comparison with it is false).
const CLI::Validator& finite_number();

/// The summary `--json` prints: job, variant, workers, tasks, wall_seconds,
/// tasks_per_rank, errors, wait_policy, and whatever the job adds in `extra`.
nlohmann::json report_json(const std::string& job, const RunOptions& run, const Pool& pool, const RunReport& report,
                           const nlohmann::json& extra = nlohmann::json::object());

/// Writes --trace-out if asked, then prints the report (see print_report).
/// After SIGINT, SIGTERM or SIGUSR1 throws Interrupted instead.
int finish_run(const PoolOptions& options, const std::string& job, const RunOptions& run, const Pool& pool,
               const RunReport& report, const nlohmann::json& extra = nlohmann::json::object());

/// Prints the report: JSON on stdout with --json, else a human summary on stderr,
/// and every failure on stderr. Returns the exit code: 1 if anything failed.
/// Throws RuntimeError "cannot write stdout: REASON".
int print_report(const PoolOptions& options, const nlohmann::json& report);

/// Says on stderr that there are no workers, once, when the world is one rank.
void note_serial_fallback(const Pool& pool);

}  // namespace rankpool::cli
