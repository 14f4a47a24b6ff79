#include "cli/compare_command.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/launcher_stdout.hpp"
#include "cli/output_journal.hpp"
#include "cli/pool_options.hpp"
#include "cli/safe_file.hpp"

namespace rankpool::cli {

namespace {

std::vector<int> parse_pools(const std::string& text, int workers) {
  std::vector<int> pools;
  if (text.empty()) return {std::max(workers, 1)};
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(at, comma - at);
    int value = 0;
    try {
      std::size_t used = 0;
      value = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError("--pools: '" + item + "' is not a number");
    }
    if (value < 1 || value > std::max(workers, 1))
      throw UsageError("--pools: " + item + " is outside 1.." + std::to_string(std::max(workers, 1)) +
                       " (the workers running)");
    pools.push_back(value);
    at = comma + 1;
  }
  return pools;
}

std::string seconds_text(double seconds) {
  char text[32];
  if (seconds < 1e-3)
    std::snprintf(text, sizeof text, "%.1f µs", seconds * 1e6);
  else if (seconds < 1)
    std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
  else
    std::snprintf(text, sizeof text, "%.3f s", seconds);
  return text;
}

struct Row {
  Variant variant;
  int pool;
  std::vector<double> runs;
  double best() const { return *std::min_element(runs.begin(), runs.end()); }
  double median() const {
    auto sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
};

}  // namespace

std::string seed_figure(const std::string& job, Variant variant, int pool) {
  // The 2014 post's figures: 4-core laptop, Python 2, pool created inside the timed call.
  static const std::map<std::tuple<std::string, Variant, int>, std::string> figures = {
      {{"factorial", Variant::kSerial, 0}, "594 µs"},      {{"factorial", Variant::kApplyAsync, 4}, "156 ms"},
      {{"factorial", Variant::kApplyAsync, 50}, "165 ms"}, {{"factorial", Variant::kApplyAsync, 1}, "152 ms"},
      {{"factorial", Variant::kMapAsync, 4}, "144 ms"},    {{"factorial", Variant::kApply, 4}, "130 ms"},
      {{"factorial", Variant::kMap, 4}, "166 ms"},         {{"reposts", Variant::kSerial, 0}, "10.2 s"},
      {{"reposts", Variant::kApplyAsync, 4}, "7.64 s"},    {{"reposts", Variant::kApplyAsync, 10}, "7.64 s"},
      {{"reposts", Variant::kApplyAsync, 1}, "10.3 s"},    {{"reposts", Variant::kApplyAsync, 100}, "8.24 s"},
      {{"reposts", Variant::kApply, 4}, "9.04 s"},         {{"reposts", Variant::kApply, 10}, "9.87 s"},
      {{"reposts", Variant::kApply, 1}, "9.71 s"},
  };
  auto found = figures.find({job, variant, variant == Variant::kSerial ? 0 : pool});
  return found == figures.end() ? "" : found->second;
}

CompareCommand::CompareCommand(CLI::App& app, const std::function<std::vector<CompareJob>(CLI::App&)>& add_jobs) {
  command_ = app.add_subcommand("compare", "every variant, best of --repeat, over --pools; the seed's table beside");
  command_->require_subcommand(1);
  command_->add_option("--pools", pools_, "pool sizes, e.g. 1,2,4,10 (default: every worker)");
  command_->add_option("--repeat", repeat_, "runs per cell; the table shows the best and the median")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command_->add_option("--chunksize", chunksize_, "tasks per hand-out (default: each variant's)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  command_->add_option("--csv", csv_, "also write the table as CSV");
  command_->add_option("--json-out", json_out_, "also write every run as JSON");
  jobs_ = add_jobs(*command_);
  // `compare factorial --upto 100 --pools 1,2`: options after the job name
  // that the job does not know belong to compare.
  for (CompareJob& job : jobs_) job.command->fallthrough();
}

int CompareCommand::run(Pool& pool) {
  const auto job = std::find_if(jobs_.begin(), jobs_.end(), [](const CompareJob& j) { return j.command->parsed(); });
  if (job == jobs_.end()) throw UsageError("compare needs a job: factorial or reposts");
  const std::vector<int> pools = parse_pools(pools_, pool.workers());
  if (!csv_.empty()) check_writable(csv_, "--csv");
  if (!json_out_.empty()) check_writable(json_out_, "--json-out");
  const Workload workload = job->make_workload(pool);
  note_serial_fallback(pool);

  std::vector<Row> rows;
  nlohmann::json runs = nlohmann::json::array();
  for (Variant variant : kAllVariants) {
    for (int size : pools) {
      if (variant == Variant::kSerial && size != pools.front()) continue;
      if (pool.workers() > 0) pool.resize(size);
      Row row{variant, variant == Variant::kSerial ? 0 : size, {}};
      for (int attempt = 0; attempt < repeat_; ++attempt) {
        RunOptions options;
        options.variant = variant;
        options.chunksize = chunksize_;
        const RunReport report = workload(pool, options);
        if (!report.failures.empty())
          throw RuntimeError(std::string(variant_name(variant)) + " failed: " + report.failures.front().describe());
        row.runs.push_back(report.wall_seconds);
        runs.push_back({{"job", job->name},
                        {"variant", std::string(variant_name(variant))},
                        {"pool", row.pool},
                        {"wall_seconds", report.wall_seconds},
                        {"tasks", report.tasks}});
      }
      rows.push_back(std::move(row));
    }
  }

  const double serial = rows.front().best();
  // Every write is checked: a full disk or /dev/full is an error, not an empty file.
  std::ostringstream table;
  std::ostringstream csv;
  table << "| variant | pool | best | median | speed-up over serial | seed (2014, Python 2, 4 cores) |\n"
           "|---|---:|---:|---:|---:|---:|\n";
  csv << "job,variant,pool,best_seconds,median_seconds,speedup,seed\n";
  for (const Row& row : rows) {
    char speedup[32];
    std::snprintf(speedup, sizeof speedup, "%.2f×", serial / row.best());
    const std::string seed = seed_figure(job->name, row.variant, row.pool);
    table << "| " << variant_name(row.variant) << " | " << (row.pool == 0 ? "—" : std::to_string(row.pool)) << " | "
          << seconds_text(row.best()) << " | " << seconds_text(row.median()) << " | " << speedup << " | "
          << (seed.empty() ? "" : seed) << " |\n";
    csv << job->name << ',' << variant_name(row.variant) << ',' << row.pool << ',' << row.best() << ',' << row.median()
        << ',' << serial / row.best() << ',' << seed << '\n';
  }
  write_stdout(table.str());
  const auto write_file = [](const std::string& path, const std::string& text) {
    AtomicFile file(path);
    file.stream() << text;
    file.commit();
  };
  if (!csv_.empty()) write_file(csv_, csv.str());
  if (!json_out_.empty()) write_file(json_out_, nlohmann::json{{"job", job->name}, {"runs", runs}}.dump(2) + "\n");
  return 0;
}

}  // namespace rankpool::cli
