#include "cli/run_variant.hpp"

#include <chrono>
#include <memory>

namespace rankpool::cli {

namespace {

/// Counts what arrives and passes successes on; records failures.
class Tally {
 public:
  Tally(Pool& pool, JobHandle job, RunReport& report, const ResultHandler& on_result, const RunOptions& options)
      : pool_(pool), job_(job), report_(report), on_result_(on_result), on_error_(options.on_error),
        record_spans_(options.record_spans) {}

  void take(const TaskResult& result) {
    if (result.cancelled) return;
    ++report_.tasks_per_rank[result.rank];
    if (record_spans_) report_.spans.push_back({result.index, result.rank, result.start, result.end, result.ok});
    if (result.ok) {
      ++report_.completed;
      on_result_(result);
    } else {
      report_.failures.push_back(pool_.failure_of(result, job_));
    }
  }
  bool should_stop() const { return on_error_ == OnError::kStop && !report_.failures.empty(); }

  /// Lone tasks whose result (or cancellation) came back. Here, not in the
  /// loop that waits on it: an exception out of that wait (a signal, a failed
  /// write) leaves run_variant's cancel to deliver the rest, and this to count them.
  std::uint64_t arrived = 0;

 private:
  Pool& pool_;
  JobHandle job_;
  RunReport& report_;
  const ResultHandler& on_result_;
  OnError on_error_;
  bool record_spans_;
};

class TallySink final : public ResultSink {
 public:
  explicit TallySink(Tally& tally) : tally_(tally) {}
  void deliver(TaskResult&& result) override { tally_.take(result); }

 private:
  Tally& tally_;
};

/// Queues the task at `position` alone; its result reaches the tally under
/// that position. The engine holds the state until the result is delivered.
void submit_one(Pool& pool, JobHandle job, const TaskSet& tasks, std::uint64_t position, Tally& tally) {
  auto state = pool.submit_dynamic(job, TaskSet::range(tasks[position], 1), 1);
  state->on_complete = [&tally, position](std::vector<TaskResult>& all) {
    all[0].position = position;
    tally.take(all[0]);
    ++tally.arrived;
  };
}

void run_one_at_a_time(Pool& pool, JobHandle job, const TaskSet& tasks, Tally& tally) {
  for (std::uint64_t position = 0; position < tasks.size() && !tally.should_stop(); ++position) {
    submit_one(pool, job, tasks, position, tally);
    pool.wait_until([&] { return tally.arrived == position + 1; });
  }
}

void run_all_async(Pool& pool, JobHandle job, const TaskSet& tasks, Tally& tally) {
  for (std::uint64_t position = 0; position < tasks.size(); ++position) submit_one(pool, job, tasks, position, tally);
  pool.wait_until([&] { return tally.arrived == tasks.size() || tally.should_stop(); });
}

void run_collective(Pool& pool, JobHandle job, const TaskSet& tasks, std::uint64_t chunksize, Tally& tally) {
  auto state = pool.submit_collective(job, tasks, chunksize);
  pool.wait_until([&] { return state->complete(); });
  for (const TaskResult& result : state->results()) tally.take(result);
}

void run_stream(Pool& pool, JobHandle job, const TaskSet& tasks, std::uint64_t chunksize, bool ordered,
                Tally& tally) {
  auto stream = pool.stream(pool.submit_stream(job, tasks, chunksize == 0 ? 1 : chunksize, ordered), job);
  while (auto result = stream.next_raw()) {
    tally.take(*result);
    if (tally.should_stop()) break;
  }
}

}  // namespace

RunReport run_variant(Pool& pool, JobHandle job, const TaskSet& tasks, const RunOptions& options,
                      const ResultHandler& on_result) {
  RunReport report;
  report.tasks = tasks.size();
  Tally tally(pool, job, report, on_result, options);
  // Whatever happens, nothing may still deliver into this frame's sinks after it returns.
  struct CancelOnExit {
    Pool& pool;
    ~CancelOnExit() {
      try {
        pool.cancel();
      } catch (...) {
      }
    }
  } cancel_on_exit{pool};
  const auto started = std::chrono::steady_clock::now();
  switch (options.variant) {
    case Variant::kSerial: {
      TallySink sink(tally);
      pool.run_serial(job, tasks, sink);
      break;
    }
    case Variant::kApply:
      run_one_at_a_time(pool, job, tasks, tally);
      break;
    case Variant::kApplyAsync:
      run_all_async(pool, job, tasks, tally);
      break;
    case Variant::kMap:
    case Variant::kMapAsync:
      run_collective(pool, job, tasks, options.chunksize, tally);
      break;
    case Variant::kImap:
    case Variant::kImapUnordered:
      run_stream(pool, job, tasks, options.chunksize, options.variant == Variant::kImap, tally);
      break;
  }
  if (tally.should_stop()) {
    // Drop what is not handed out yet; what is running comes back and counts.
    pool.cancel();
    report.stopped_early = report.completed + report.failures.size() < report.tasks;
  }
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace rankpool::cli
