#include "cli/chrome_trace.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/safe_file.hpp"

namespace rankpool::cli {

void write_chrome_trace(const std::string& path, const std::string& job, const Pool& pool, const RunReport& report) {
  nlohmann::json events = nlohmann::json::array();
  double origin = 0;
  if (!report.spans.empty())
    origin = std::min_element(report.spans.begin(), report.spans.end(), [](const auto& a, const auto& b) {
               return a.start < b.start;
             })->start;
  std::set<int> ranks;
  for (const TaskSpan& span : report.spans) {
    ranks.insert(span.rank);
    events.push_back({{"name", job + " " + std::to_string(span.index)},
                      {"cat", span.ok ? "task" : "failed"},
                      {"ph", "X"},
                      {"ts", (span.start - origin) * 1e6},
                      {"dur", std::max(0.0, span.end - span.start) * 1e6},
                      {"pid", 0},
                      {"tid", span.rank},
                      {"args", {{"index", span.index}, {"ok", span.ok}}}});
  }
  for (int rank : ranks) {
    const RankLocation info = pool.rank_location(rank);
    events.push_back(
        {{"name", "thread_name"},
         {"ph", "M"},
         {"pid", 0},
         {"tid", rank},
         {"args",
          {{"name", "rank " + std::to_string(rank) + " (" + info.host + ", pid " + std::to_string(info.pid) + ")"}}}});
  }
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", "rankpool " + job}}}});
  // Under a temporary name first: a failed write never leaves half a trace under `path`.
  AtomicFile out(path);
  out.stream() << nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << '\n';
  out.commit();
}

}  // namespace rankpool::cli
