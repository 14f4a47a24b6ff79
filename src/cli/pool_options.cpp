#include "cli/pool_options.hpp"

#include "rankpool/detail/pool_hooks.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <vector>

#include "cli/chrome_trace.hpp"
#include "cli/interrupts.hpp"
#include "cli/launcher_stdout.hpp"
#include "cli/output_journal.hpp"
#include "cli/progress_line.hpp"

namespace rankpool::cli {

const CLI::Validator& finite_number() {
  static const CLI::Validator check(
      [](std::string& text) -> std::string {
        double value = 0;
        try {
          std::size_t used = 0;
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          return "";  // not a number at all: the option's own parse says so
        }
        return std::isfinite(value) ? "" : "a finite number is needed, not " + text;
      },
      "FINITE");
  return check;
}

void add_pool_options(CLI::App& command, PoolOptions& options, const std::string& out_help) {
  command.add_option("--variant", options.variant, "serial, apply, apply_async, map, map_async, imap, imap_unordered")
      ->capture_default_str();
  command
      .add_option("--chunksize", options.chunksize,
                  "tasks per hand-out (default: sized from measured task times; map: ~1/256 of each worker's "
                  "share, dealt zig-zag)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  command.add_option("--pool", options.pool, "use K of the workers; the rest stay idle (default: all)")
      ->check(CLI::Range(1, 1 << 24));
  command.add_flag("--json", options.json, "print one JSON summary on stdout at the end");
  command.add_flag("--master-works", options.master_works,
                   "rank 0 runs tasks too, on a thread of its own: mpirun -np N on N cores does N ranks' worth of "
                   "work");
  command.add_flag("--stats", options.stats,
                   "print where the time went on stderr at the end: each worker's busy share and tasks, the "
                   "master's share of a core");
  command.add_flag("--trace", options.trace, "print which rank (host, pid) starts and finishes each task");
  command.add_option("--trace-out", options.trace_out, "write a Chrome trace-event file (opens in Perfetto)");
  command.add_option("--on-error", options.on_error, "stop at the first failed task, or continue and report all")
      ->check(CLI::IsMember({"stop", "continue"}))
      ->capture_default_str();
  command.add_option("--out", options.out, out_help);
  auto* resume =
      command.add_flag("--resume", options.resume, "with --out: keep what an interrupted run wrote, run only the rest");
  command.add_flag("--fresh", options.fresh, "with --out: discard what an interrupted run wrote (FILE.partial)")
      ->excludes(resume);
  command
      .add_option("--drain-seconds", options.drain_seconds,
                  "on SIGUSR1: hand out nothing more, let running tasks finish for up to S seconds, exit 75")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  command
      .add_option("--task-timeout", options.task_timeout,
                  "a task past S seconds fails: a command is killed and the run goes on; a worker that holds "
                  "work and answers nothing for S seconds ends the run (0: none)")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  command.add_flag("--progress", options.progress,
                   "print a progress line on stderr even when it is not a terminal (on a terminal it is on)");
  command
      .add_option("--progress-interval", options.progress_interval,
                  "seconds between progress lines (default: 1 on a terminal, 30 in a log)")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 86400.0));
  command
      .add_option("--wait", options.wait,
                  "how ranks wait: block (spin; map's scatter blocking) where each rank has a core, backoff "
                  "(sleep) where ranks outnumber cores, auto decides per host (default: auto, or RANKPOOL_WAIT)")
      ->check(CLI::IsMember({"auto", "block", "backoff"}));
}

std::string take_bad_wait_environment() {
  const char* word = std::getenv("RANKPOOL_WAIT");
  if (word == nullptr || parse_wait_policy(word)) return "";
  std::string error = "RANKPOOL_WAIT=" + std::string(word) + ": not one of auto, block, backoff";
  ::unsetenv("RANKPOOL_WAIT");
  return error;
}

JournalMode journal_mode(const PoolOptions& options) noexcept {
  if (options.resume) return JournalMode::kResume;
  return options.fresh ? JournalMode::kFresh : JournalMode::kNew;
}

namespace {

/// One output of the run: the option that names it, and where it goes.
struct Output {
  std::string option;
  std::string path;  // "" for stdout
};

std::optional<std::pair<dev_t, ino_t>> identity(const Output& output) {
  struct stat info {};
  const int found = output.path.empty() ? fstat(stdout_fd(), &info) : stat(output.path.c_str(), &info);
  if (found != 0) return std::nullopt;
  return std::pair{info.st_dev, info.st_ino};
}

bool is_null_device(const Output& output, const struct stat& null_device) {
  struct stat info {};
  const int found = output.path.empty() ? fstat(stdout_fd(), &info) : stat(output.path.c_str(), &info);
  return found == 0 && S_ISCHR(info.st_mode) && info.st_rdev == null_device.st_rdev;
}

std::string spelled(const Output& output) {
  return output.path.empty() ? "stdout (" + output.option + ")" : output.option + " " + output.path;
}

}  // namespace

void check_distinct_outputs(const PoolOptions& options) {
  std::vector<Output> outputs;
  if (options.out == "-" || options.json) outputs.push_back({options.out == "-" ? "--out -" : "--json", ""});
  if (!options.out.empty() && options.out != "-") {
    outputs.push_back({"--out", options.out});
    outputs.push_back({"--out's journal", options.out + ".partial"});
  }
  if (!options.trace_out.empty()) outputs.push_back({"--trace-out", options.trace_out});
  struct stat null_device {};
  const bool has_null = stat("/dev/null", &null_device) == 0;
  for (std::size_t a = 0; a < outputs.size(); ++a)
    for (std::size_t b = a + 1; b < outputs.size(); ++b) {
      bool same = false;
      if (!outputs[a].path.empty() && !outputs[b].path.empty()) {
        std::error_code first_error;
        std::error_code second_error;
        const auto first_name =
            std::filesystem::weakly_canonical(std::filesystem::absolute(outputs[a].path, first_error), first_error);
        const auto second_name =
            std::filesystem::weakly_canonical(std::filesystem::absolute(outputs[b].path, second_error), second_error);
        same = !first_error && !second_error && first_name == second_name;
      }
      const auto first = identity(outputs[a]);
      const auto second = identity(outputs[b]);
      // Everything may go to a null device at once.
      if (first && has_null && is_null_device(outputs[a], null_device)) continue;
      same = same || (first && second && *first == *second);
      if (same)
        throw UsageError(spelled(outputs[a]) + " and " + spelled(outputs[b]) +
                         " are the same file; give each output its own");
    }
}

void check_not_an_input(const PoolOptions& options, const std::string& input, const std::string& option) {
  if (input.empty() || input == "-" || options.out.empty() || options.out == "-") return;
  struct stat read_from {};
  const bool input_exists = stat(input.c_str(), &read_from) == 0;
  if (input_exists && S_ISCHR(read_from.st_mode)) return;  // /dev/null in and out is no harm
  for (const std::string& output : {options.out, options.out + ".partial"}) {
    std::error_code first_error;
    std::error_code second_error;
    const auto output_name = std::filesystem::weakly_canonical(std::filesystem::absolute(output), first_error);
    const auto input_name = std::filesystem::weakly_canonical(std::filesystem::absolute(input), second_error);
    bool same = !first_error && !second_error && output_name == input_name;
    struct stat written {};
    same = same || (input_exists && stat(output.c_str(), &written) == 0 && written.st_dev == read_from.st_dev &&
                    written.st_ino == read_from.st_ino);
    if (same)
      throw UsageError("--out " + options.out + " is the input file " + option + " " + input +
                       "; the results would replace it: give --out a file of its own");
  }
}

RunOptions apply_pool_options(const PoolOptions& options, Pool& pool) {
  RunOptions run;
  run.variant = parse_variant(options.variant);
  run.chunksize = options.chunksize;
  run.on_error = options.on_error == "continue" ? OnError::kContinue : OnError::kStop;
  run.record_spans = !options.trace_out.empty();
  if (!options.trace_out.empty()) check_writable(options.trace_out, "--trace-out");
  if (options.resume && options.out.empty()) throw UsageError("--resume needs --out");
  if (options.fresh && options.out.empty()) throw UsageError("--fresh needs --out");
  if (options.out == "-" && options.json) throw UsageError("--out - and --json both write to stdout; pick one");
  check_distinct_outputs(options);
  if (options.pool > 0) {
    // One rank alone runs its tasks itself: --pool 1 is that one.
    const int available = std::max(pool.workers(), 1);
    if (options.pool > available)
      throw UsageError("--pool " + std::to_string(options.pool) + " but only " + std::to_string(available) + " worker" +
                       (available == 1 ? "" : "s") + " running (mpirun -np " + std::to_string(options.pool + 1) +
                       " for " + std::to_string(options.pool) + ")");
    if (pool.workers() > 0) pool.resize(options.pool);
  }
  pool.set_trace(options.trace);
  pool.set_master_works(options.master_works);
  pool.set_task_timeout(options.task_timeout);
  run.progress = progress_settings(options.progress, options.progress_interval);
  arm_stop_signals(options.drain_seconds);
  rankpool::detail::PoolHooks::set_wait_hook(pool, [&pool] { poll_stop_signals([&pool] { pool.cancel(); }); });
  if (!options.wait.empty()) pool.set_wait_policy(*parse_wait_policy(options.wait));
  return run;
}

nlohmann::json report_json(const std::string& job, const RunOptions& run, const Pool& pool, const RunReport& report,
                           const nlohmann::json& extra) {
  nlohmann::json out;
  out["job"] = job;
  out["variant"] = std::string(variant_name(run.variant));
  out["workers"] = pool.workers();
  out["tasks"] = report.tasks;
  out["completed"] = report.completed;
  out["wall_seconds"] = report.wall_seconds;
  nlohmann::json per_rank = nlohmann::json::object();
  for (const auto& [rank, count] : report.tasks_per_rank) per_rank[std::to_string(rank)] = count;
  out["tasks_per_rank"] = per_rank;
  nlohmann::json errors = nlohmann::json::array();
  for (const TaskFailure& failure : report.failures)
    errors.push_back({{"job", failure.job},
                      {"index", failure.index},
                      {"rank", failure.rank},
                      {"host", failure.host},
                      {"message", failure.message}});
  out["errors"] = errors;
  out["stopped_early"] = report.stopped_early;
  out["wait_policy"] = wait_policy_name(pool.wait_policy());
  const rankpool::PoolStats stats = pool.stats();
  out["worker_busy_fraction"] = stats.worker_busy_fraction;
  out["worker_busy_min"] = stats.worker_busy_min;
  out["master_busy_fraction"] = stats.master_busy_fraction;
  out["hand_outs"] = stats.hand_outs;
  out["result_bytes"] = stats.result_bytes;
  nlohmann::json workers = nlohmann::json::array();
  for (const rankpool::WorkerStats& worker : stats.workers)
    workers.push_back({{"rank", worker.rank}, {"tasks", worker.tasks}, {"busy_fraction", worker.busy_fraction}});
  out["worker_stats"] = workers;
  // The master's own CPU time: near zero when waiting does not spin.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  out["master_cpu_seconds"] = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                              static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  for (auto& [key, value] : extra.items()) out[key] = value;
  return out;
}

/// --stats: a line per worker and one for the master, on stderr.
static void print_stats(const nlohmann::json& report) {
  std::cerr << "rankpool: where the time went (" << report["wall_seconds"].get<double>() << " s, "
            << report["hand_outs"].get<std::uint64_t>() << " hand-outs, " << report["result_bytes"].get<std::uint64_t>()
            << " result bytes)\n";
  char line[160];
  for (const auto& worker : report["worker_stats"]) {
    std::snprintf(line, sizeof line, "  rank %4d  busy %5.1f %%  tasks %llu\n", worker["rank"].get<int>(),
                  100 * worker["busy_fraction"].get<double>(), worker["tasks"].get<unsigned long long>());
    std::cerr << line;
  }
  std::snprintf(line, sizeof line,
                "  workers busy %.1f %% on average, %.1f %% the least; the master's thread %.1f %% of a core\n",
                100 * report["worker_busy_fraction"].get<double>(), 100 * report["worker_busy_min"].get<double>(),
                100 * report["master_busy_fraction"].get<double>());
  std::cerr << line;
}

int print_report(const PoolOptions& options, const nlohmann::json& report) {
  // Stopping at the first failure: one line for it (tasks already out may
  // have failed the same way, e.g. a bad token; --json lists them all).
  const auto& errors = report["errors"];
  const std::size_t shown = options.on_error == "stop" && !errors.empty() ? 1 : errors.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& error = errors[i];
    std::cerr << "rankpool: error: " << error["job"].get<std::string>() << " task " << error["index"] << " on rank "
              << error["rank"] << " (" << error["host"].get<std::string>()
              << "): " << error["message"].get<std::string>();
    if (shown == 1 && errors.size() > 1) std::cerr << " (" << errors.size() - 1 << " more tasks failed)";
    std::cerr << '\n';
  }
  if (options.json) {
    write_stdout(report.dump() + "\n");
  } else {
    std::string spread;
    for (auto& [rank, count] : report["tasks_per_rank"].items()) spread += " " + rank + ":" + count.dump();
    char line[512];
    std::snprintf(line, sizeof line,
                  "%s: %llu of %llu tasks done with %s on %d worker%s in %.6f s; tasks per rank:%s\n",
                  report["job"].get<std::string>().c_str(), report["completed"].get<unsigned long long>(),
                  report["tasks"].get<unsigned long long>(), report["variant"].get<std::string>().c_str(),
                  report["workers"].get<int>(), report["workers"].get<int>() == 1 ? "" : "s",
                  report["wall_seconds"].get<double>(), spread.c_str());
    std::cerr << line;
  }
  if (options.stats) print_stats(report);
  const bool failed = !report["errors"].empty();
  if (failed && report["stopped_early"].get<bool>())
    std::cerr << "rankpool: stopped at the first failure (--on-error continue runs every task)\n";
  return failed ? 1 : 0;
}

int finish_run(const PoolOptions& options, const std::string& job, const RunOptions& run, const Pool& pool,
               const RunReport& report, const nlohmann::json& extra) {
  if (stopping()) {
    // A job without a journal: the line counts this run's results.
    RunProgress& progress = run_progress();
    if (!progress.done) {
      progress.done = [done = report.completed] { return done; };
      progress.total = report.tasks;
    }
    throw_if_stopping();
  }
  if (!options.trace_out.empty()) write_chrome_trace(options.trace_out, job, pool, report);
  return print_report(options, report_json(job, run, pool, report, extra));
}

void note_serial_fallback(const Pool& pool) {
  if (pool.workers() == 0)
    std::cerr << "rankpool: one process, no workers: running every task serially on rank 0 "
                 "(start with mpirun -np N for N-1 workers)\n";
}

}  // namespace rankpool::cli
