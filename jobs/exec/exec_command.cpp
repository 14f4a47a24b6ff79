#include "exec/exec_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "cli/interrupts.hpp"
#include "cli/launcher_stdout.hpp"
#include "cli/output_journal.hpp"
#include "cli/pool_command.hpp"
#include "cli/pool_options.hpp"
#include "cli/run_variant.hpp"
#include "exec/exec_job.hpp"
#include "exec/exec_rows.hpp"
#include "exec/task_file.hpp"
#include "rankpool/codec.hpp"

namespace rankpool::exec {

namespace {

/// The folder for --output-dir, made if missing, as an absolute path (the
/// workers' working directory may differ); throws UsageError.
std::string prepare_output_dir(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw UsageError("--output-dir: cannot create " + dir + ": " + error.message());
  if (access(dir.c_str(), W_OK | X_OK) != 0) throw UsageError("--output-dir: " + dir + " is not writable");
  return std::filesystem::absolute(dir).lexically_normal().string();
}

nlohmann::json failures_json(std::vector<FailedCommand> failures) {
  std::sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) { return a.task < b.task; });
  nlohmann::json out = nlohmann::json::array();
  for (const FailedCommand& f : failures)
    out.push_back({{"task", f.task}, {"line", f.line}, {"exit", f.exit_code}, {"timed_out", f.timed_out}});
  return out;
}

class ExecCommand final : public cli::PoolCommand {
 public:
  explicit ExecCommand(CLI::App& app)
      : PoolCommand(app, "exec", "run shell commands, one per line of a task file, on the workers") {
    command_->add_option("--tasks", tasks_path_, "the task file: one command per line, # comments (- for stdin)")
        ->required();
    command_->add_option("--output-dir", output_dir_,
                         "write each command's whole stdout and stderr to DIR/<task>.stdout and .stderr "
                         "instead of capturing them");
    command_->add_option("--capture-bytes", capture_bytes_, "bytes of stdout and of stderr kept per command")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 30))
        ->capture_default_str();
    command_->add_option("--retries", retries_, "run a failing command again, up to N more times")
        ->check(CLI::Range(std::uint32_t{0}, std::uint32_t{1000}))
        ->capture_default_str();
    add_pool_options(
        "JSON Lines: one row per command, in task order (- for stdout); without it each command's output is printed");
  }
  int run(Pool& pool) override;

 private:
  /// Chunk size, the watchdog's limit and delivery as results arrive.
  void plan_handouts(Pool& pool, const ExecJob& job, cli::RunOptions& run, std::uint64_t count) const;

  std::string tasks_path_;
  std::string output_dir_;
  std::uint64_t capture_bytes_ = 65536;
  std::uint32_t retries_ = 0;
};

}  // namespace

namespace {

/// The watchdog's limit: a worker runs a hand-out's commands one after the
/// other, each up to its timeout and kill grace on every attempt, and sends
/// nothing until the hand-out ends.
double stall_limit(const ExecJob& job, std::uint64_t tasks_per_handout) {
  const double attempt = job.task_timeout + job.kill_grace + 1;
  return attempt * (job.retries + 1.0) * static_cast<double>(std::max<std::uint64_t>(tasks_per_handout, 1)) + 30;
}

/// Journal entries must be this run's rows, one per task of this task file.
cli::EntryCheck row_check(const TaskList& tasks, const std::string& output_dir) {
  return [&tasks, &output_dir](std::uint64_t key, std::string_view row) {
    if (key >= tasks.commands.size())
      throw RuntimeError("is for task " + std::to_string(key) + " but the task file has " +
                         std::to_string(tasks.commands.size()) + " commands");
    check_row(row, key, tasks.lines[key], tasks.commands[key], output_dir);
  };
}

/// The tasks a resumed run has left; the earlier rows' failures go to `failures`.
TaskSet resumed_rows(const cli::OutputJournal& journal, const TaskList& tasks, std::vector<FailedCommand>& failures) {
  std::vector<std::uint64_t> missing;
  for (std::uint64_t i = 0; i < tasks.commands.size(); ++i) {
    FailedCommand failure;
    if (!journal.done(i))
      missing.push_back(i);
    else if (row_failure(journal.read(i), failure))
      failures.push_back(failure);
  }
  return TaskSet(std::move(missing));
}

/// The summary's exec fields; the journal becomes the output when every
/// command ran, else it is kept for --resume (and the user told so).
nlohmann::json settle_journal(cli::OutputJournal* journal, const cli::RunReport& report, std::uint64_t count,
                              const std::vector<FailedCommand>& failures) {
  nlohmann::json extra{{"commands", count}, {"commands_failed", failures.size()}, {"failed", failures_json(failures)}};
  if (!journal) return extra;
  extra["resumed"] = journal->done_count() - report.completed;
  if (report.failures.empty()) {
    journal->finish([](std::uint64_t, std::string_view row, std::ostream& out) { out << row << '\n'; });
  } else if (!cli::stopping()) {
    std::cerr << "rankpool: partial results kept in " << journal->journal_path() << "; rerun with --resume\n";
  }
  return extra;
}

}  // namespace

void ExecCommand::plan_handouts(Pool& pool, const ExecJob& job, cli::RunOptions& run, std::uint64_t count) const {
  const bool collective = run.variant == cli::Variant::kMap || run.variant == cli::Variant::kMapAsync;
  // One command per hand-out keeps long and short commands balanced; two
  // chunks in flight per worker already hide the round trip.
  if (run.chunksize == 0 && !collective) run.chunksize = 1;
  // A command past --task-timeout is killed on its worker (SIGTERM, SIGKILL
  // after the grace) and its row comes back: the master waits for that first.
  // A map deals a worker's share in chunks of a size not known here: at most all.
  if (options_.task_timeout > 0) pool.set_task_timeout(stall_limit(job, run.chunksize == 0 ? count : run.chunksize));
  // Every row reaches the journal as it arrives, in every variant.
  run.on_arrival = true;
}

int ExecCommand::run(Pool& pool) {
  TaskList tasks = read_task_file(tasks_path_);
  cli::check_not_an_input(options_, tasks_path_, "--tasks");
  const std::uint64_t count = tasks.commands.size();
  ExecJob job;
  job.commands = tasks.commands;
  job.capture_bytes = capture_bytes_;
  job.retries = retries_;
  job.task_timeout = options_.task_timeout;
  cli::RunOptions run = cli::apply_pool_options(options_, pool);
  if (!output_dir_.empty()) job.output_dir = prepare_output_dir(output_dir_);
  const std::string fingerprint = "exec " + std::to_string(count) + " commands " + task_list_digest(tasks) +
                                  (job.output_dir.empty() ? "" : " output-dir " + job.output_dir);
  plan_handouts(pool, job, run, count);

  std::unique_ptr<cli::OutputJournal> journal;
  std::vector<FailedCommand> failures;
  TaskSet task_set(count);
  if (!options_.out.empty()) {
    journal = std::make_unique<cli::OutputJournal>(options_.out, fingerprint, cli::journal_mode(options_),
                                                   row_check(tasks, job.output_dir));
    if (journal->done_count() > 0) task_set = resumed_rows(*journal, tasks, failures);
  }
  // Without --out or --output-dir the commands' output is shown as each ends.
  const bool show_output = !journal && job.output_dir.empty();
  // Nothing to journal: shown output keeps the variant's order (request order for imap and map).
  if (show_output) run.on_arrival = false;

  // What a signal's line says: the journal's count (resumed rows too), else this run's.
  std::uint64_t arrived = 0;  // under cli::lock_results()
  const cli::RunProgressScope progress(count, [&arrived] { return arrived; });

  cli::note_serial_fallback(pool);
  const cli::RunReport report =
      cli::run_variant(pool, job, task_set, run, [&](std::uint64_t index, const CommandOutcome& outcome) {
        const std::uint64_t line = tasks.lines.at(index);
        if (journal) journal->append(index, make_row(index, line, job.commands[index], outcome, job.output_dir));
        ++arrived;
        if (outcome.failed()) failures.push_back({index, line, outcome.exit_code, outcome.timed_out});
        if (show_output) {
          cli::write_stdout(outcome.stdout_text);
          std::cerr << outcome.stderr_text << std::flush;
        }
      });
  // A command that could not start (no /bin/sh, an output file refused) failed too.
  for (const TaskFailure& failure : report.failures)
    failures.push_back({failure.index, tasks.lines.at(failure.index), -1, false});

  int code =
      cli::finish_run(options_, "exec", run, pool, report, settle_journal(journal.get(), report, count, failures));
  if (!failures.empty()) {
    std::cerr << "rankpool: error: exec: " << describe_failures(failures, count) << '\n';
    code = std::max(code, 1);
  }
  return code;
}

std::unique_ptr<cli::Command> make_exec_command(CLI::App& app) { return std::make_unique<ExecCommand>(app); }

}  // namespace rankpool::exec
