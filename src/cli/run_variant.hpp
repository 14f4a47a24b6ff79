#pragma once
/// \file
/// Runs one job's tasks through one variant and reports how it went. Each
/// variant is the library's own typed call (Pool::apply, apply_async, map,
/// map_async, imap, imap_unordered, serial): the command drives the pool
/// exactly as a user's program does.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/interrupts.hpp"
#include "cli/progress_line.hpp"
#include "cli/variant.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/pool.hpp"

namespace rankpool::cli {

enum class OnError { kStop, kContinue };

struct RunOptions {
  Variant variant = Variant::kApplyAsync;
  std::uint64_t chunksize = 0;  ///< 0: the variant's default
  OnError on_error = OnError::kStop;
  bool record_spans = false;  ///< keep when and where each task ran (--trace-out)
  ProgressSettings progress;  ///< --progress, --progress-interval
  /// on_result runs as each result arrives (from the pool's observer), in
  /// every variant, so a journal holds a result before anything can lose it:
  /// on whatever thread the pool delivers on, under lock_results(), in the
  /// order the results come back. Otherwise on_result runs on the calling
  /// thread as the variant hands the results over.
  bool on_arrival = false;
};

/// When and where one task ran (system-clock seconds).
struct TaskSpan {
  std::uint64_t index = 0;
  int rank = 0;
  double start = 0;
  double end = 0;
  bool ok = true;
};

struct RunReport {
  /// From loading the job to the last result taken (a map's values are freed after).
  double wall_seconds = 0;
  std::uint64_t tasks = 0;
  std::uint64_t completed = 0;
  std::map<int, std::uint64_t> tasks_per_rank;
  std::vector<TaskFailure> failures;
  bool stopped_early = false;   ///< --on-error stop dropped tasks after a failure
  std::vector<TaskSpan> spans;  ///< with RunOptions::record_spans
};

namespace detail {

/// Counts every outcome the pool delivers while it lives (through the pool's
/// observer, under lock_results()), passes each success to `arrival` if set,
/// and cancels what is left when the run ends however it ends, so nothing
/// delivers into a finished run.
class RunTally {
 public:
  using Arrival = std::function<void(std::uint64_t index, const std::string& payload)>;
  RunTally(Pool& pool, RunReport& report, const RunOptions& options, std::uint64_t total, Arrival arrival = {});
  ~RunTally();
  RunTally(const RunTally&) = delete;
  RunTally& operator=(const RunTally&) = delete;
  /// Whether --on-error stop has seen a failure, or recording a result
  /// failed (safe from any thread).
  bool should_stop() const noexcept { return (stop_on_error_ && failed_.load()) || arrival_failed_.load(); }
  /// Throws what `arrival` threw, if it did (call once the pool is idle).
  void rethrow_arrival_error() const {
    if (arrival_error_) std::rethrow_exception(arrival_error_);
  }

 private:
  Pool& pool_;
  RunReport& report_;
  bool stop_on_error_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> arrival_failed_{false};
  // Thrown on the pool's thread, rethrown on the caller's: an exception must
  // not cut through the pool's own bookkeeping.
  std::exception_ptr arrival_error_;
  Arrival arrival_;
  ProgressLine progress_;
};

}  // namespace detail

/// Runs `tasks` of `job` with the chosen variant; `on_result(index, value)`
/// receives each success: with RunOptions::on_arrival as each arrives, else
/// in request order for serial, apply, map, map_async and imap, as they
/// finish for apply_async and imap_unordered.
template <Job J, class OnResult>
requires takes_index<J> RunReport run_variant(Pool& pool, const J& job, const TaskSet& tasks, const RunOptions& options,
                                              OnResult&& on_result) {
  using R = job_result_t<J>;
  RunReport report;
  report.tasks = tasks.size();
  std::atomic<std::uint64_t> arrived{0};  // before the tally: callbacks may still land while it cancels
  const bool early = options.on_arrival;
  detail::RunTally::Arrival arrival;
  if (early)
    arrival = [&on_result](std::uint64_t index, const std::string& payload) {
      on_result(index, Codec<R>::decode(payload));
    };
  detail::RunTally tally(pool, report, options, tasks.size(), std::move(arrival));
  // A map's values outlive the clock: giving 200 MB back to the kernel takes
  // ~10 ms after the last result is taken, in which no task runs.
  std::shared_ptr<const void> taken;
  const auto started = std::chrono::steady_clock::now();
  const LoadedJob<J> loaded = pool.load(job);
  // A signal is seen in the pool's waits; serial never waits, and imap's loop
  // need not when results come faster than the master takes them.
  const auto take = [&](std::uint64_t index, const R& value) {
    if (!early) on_result(index, value);
    if (options.variant == Variant::kSerial)
      throw_if_stopping();
    else if (options.variant == Variant::kImap || options.variant == Variant::kImapUnordered)
      poll_stop_signals([&pool] { pool.cancel(); }, /*in_wait=*/false);
  };
  const auto take_all = [&](auto&& outcomes) {
    for (auto& outcome : outcomes)
      if (outcome.ok()) take(outcome.index, *outcome.value);
  };
  switch (options.variant) {
    case Variant::kSerial:
    case Variant::kApply:
      for (std::uint64_t position = 0; position < tasks.size() && !tally.should_stop(); ++position) {
        // After a signal nothing new starts: the run ends before the next call.
        throw_if_stopping();
        const std::uint64_t index = tasks[position];
        try {
          if (options.variant == Variant::kSerial)
            take(index, pool.serial(loaded, TaskSet::range(index, 1)).at(0));
          else
            take(index, pool.apply(loaded, index));
        } catch (const RemoteError&) {
          // The tally has it.
        }
      }
      break;
    case Variant::kApplyAsync:
      pool.set_async_chunksize(options.chunksize);  // queued calls per hand-out (0: sized from task times)
      for (std::uint64_t position = 0; position < tasks.size(); ++position) {
        const std::uint64_t index = tasks[position];
        pool.apply_async(
            loaded, index,
            [&, index](const R& value) {
              if (!early) on_result(index, value);
              arrived.fetch_add(1);
            },
            [&](const RemoteError&) { arrived.fetch_add(1); });
      }
      pool.wait_until([&] { return arrived.load() == tasks.size() || tally.should_stop(); });
      break;
    case Variant::kMap: {
      // The values alone: the tally has the failures.
      auto all = pool.map_values(loaded, tasks, options.chunksize);
      if (!early)
        for (std::uint64_t position = 0; position < all.values.size(); ++position)
          if (all.ok(position)) on_result(tasks[position], all.values[position]);
      taken = std::make_shared<decltype(all)>(std::move(all));
      break;
    }
    case Variant::kMapAsync: {
      auto pending = pool.map_async(loaded, tasks, options.chunksize);
      auto outcomes = pending.outcomes();
      take_all(outcomes);
      taken = std::make_shared<decltype(outcomes)>(std::move(outcomes));
      break;
    }
    case Variant::kImap:
    case Variant::kImapUnordered: {
      auto stream = options.variant == Variant::kImap ? pool.imap(loaded, tasks, options.chunksize)
                                                      : pool.imap_unordered(loaded, tasks, options.chunksize);
      while (auto outcome = stream.next_outcome()) {
        if (early && tally.should_stop()) break;
        if (outcome->ok())
          take(outcome->index, *outcome->value);
        else if (tally.should_stop())
          break;
      }
      break;
    }
  }
  if (tally.should_stop()) {
    // Drop what is not handed out yet; what is running comes back and counts.
    pool.cancel();
    report.stopped_early = report.completed + report.failures.size() < report.tasks;
  }
  tally.rethrow_arrival_error();
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace rankpool::cli
