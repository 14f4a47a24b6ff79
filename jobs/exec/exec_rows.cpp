#include "exec/exec_rows.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "rankpool/errors.hpp"

namespace rankpool::exec {

std::string make_row(std::uint64_t task, std::uint64_t line, const std::string& command, const CommandOutcome& outcome,
                     const std::string& output_dir) {
  nlohmann::ordered_json row;
  row["task"] = task;
  row["line"] = line;
  row["command"] = command;
  row["exit"] = outcome.exit_code;
  row["timed_out"] = outcome.timed_out;
  row["seconds"] = outcome.seconds;
  row["attempts"] = outcome.attempts;
  row["rank"] = outcome.rank;
  row["host"] = outcome.host;
  if (output_dir.empty()) {
    row["stdout"] = outcome.stdout_text;
    row["stderr"] = outcome.stderr_text;
    row["truncated"] =
        outcome.stdout_bytes > outcome.stdout_text.size() || outcome.stderr_bytes > outcome.stderr_text.size();
    row["stdout_bytes"] = outcome.stdout_bytes;
    row["stderr_bytes"] = outcome.stderr_bytes;
  } else {
    row["stdout_file"] = output_file(output_dir, task, "stdout");
    row["stderr_file"] = output_file(output_dir, task, "stderr");
  }
  return row.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void check_row(std::string_view row, std::uint64_t task, std::uint64_t line, const std::string& command,
               const std::string& output_dir) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(row);
    auto expect = [&parsed](const char* field, const nlohmann::json& want) {
      if (parsed.at(field) != want)
        throw RuntimeError(std::string("its ") + field + " is " + parsed.at(field).dump() + ", this run's is " +
                           want.dump());
    };
    expect("task", task);
    expect("line", line);
    expect("command", command);
    if (output_dir.empty() != !parsed.contains("stdout_file"))
      throw RuntimeError(output_dir.empty() ? "it was written with --output-dir, this run has none"
                                            : "it was written without --output-dir, this run has one");
    if (!output_dir.empty()) expect("stdout_file", output_file(output_dir, task, "stdout"));
    parsed.at("exit").get<int>();
    parsed.at("timed_out").get<bool>();
  } catch (const nlohmann::json::exception& error) {
    throw RuntimeError(std::string("not a row of rankpool exec: ") + error.what());
  }
}

bool row_failure(std::string_view row, FailedCommand& failure) {
  try {
    const auto parsed = nlohmann::json::parse(row);
    failure.task = parsed.at("task").get<std::uint64_t>();
    failure.line = parsed.at("line").get<std::uint64_t>();
    failure.exit_code = parsed.at("exit").get<int>();
    failure.timed_out = parsed.at("timed_out").get<bool>();
  } catch (const nlohmann::json::exception& error) {
    throw RuntimeError(std::string("exec: an earlier run's row is unreadable: ") + error.what());
  }
  return failure.exit_code != 0 || failure.timed_out;
}

std::string describe_failures(const std::vector<FailedCommand>& failures, std::uint64_t commands) {
  const auto timed_out = std::count_if(failures.begin(), failures.end(), [](const auto& f) { return f.timed_out; });
  std::string text = std::to_string(failures.size()) + " of " + std::to_string(commands) + " command" +
                     (commands == 1 ? "" : "s") + " failed";
  if (timed_out > 0) text += " (" + std::to_string(timed_out) + " timed out)";
  if (!failures.empty()) {
    const FailedCommand& first = *std::min_element(failures.begin(), failures.end(),
                                                   [](const auto& a, const auto& b) { return a.task < b.task; });
    text += "; first: task " + std::to_string(first.task) + " (line " + std::to_string(first.line) + "), " +
            (first.timed_out ? "timed out" : "exit " + std::to_string(first.exit_code));
  }
  return text;
}

}  // namespace rankpool::exec
