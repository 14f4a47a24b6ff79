#pragma once
/// \file
/// The master's scheduling arithmetic, apart from MPI: how long a job's tasks
/// take, how many tasks go in one hand-out, and how map deals its chunks.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace rankpool::detail {

/// Work per hand-out or per map result message: a message and the master's
/// turn around it cost ~10-20 µs on a VM, so this keeps messaging near 1 %.
inline constexpr double kChunkSeconds = 2e-3;
/// What a hand-out costs a worker beyond its tasks (receive, records, send):
/// counted in its queue, so a queue of tiny tasks is not taken for empty.
inline constexpr double kMessageSeconds = 5e-6;
/// Work kept queued on each worker beyond the chunk it runs: covers the
/// master's wake-up (it sleeps up to half of this, then may wait for a core).
inline constexpr double kPrefetchSeconds = 8e-3;
/// Hand-outs in flight per worker, at most (tiny tasks at an explicit chunksize).
inline constexpr int kMaxDepth = 64;
/// An adaptive hand-out takes at most this many tasks.
inline constexpr std::uint64_t kMaxChunkTasks = std::uint64_t{1} << 16;
/// map deals each worker about this many chunks (zig-zag) when the chunksize is automatic.
inline constexpr std::uint64_t kMapChunksPerWorker = 256;

/// Seconds per task of one job, from the spans workers report: a moving
/// average over the last few result messages, each weighted by its tasks.
class TaskClock {
 public:
  /// One message's tasks ran back to back for `seconds`.
  void add(double seconds, std::uint64_t tasks) noexcept {
    if (tasks == 0 || !(seconds >= 0)) return;
    seconds_ = seconds_ * kKeep + seconds;
    tasks_ = tasks_ * kKeep + static_cast<double>(tasks);
  }
  /// The estimate, once a result has come back.
  std::optional<double> per_task() const noexcept {
    if (tasks_ <= 0) return std::nullopt;
    return seconds_ / tasks_;
  }

 private:
  static constexpr double kKeep = 0.75;  // older messages fade: ~4 messages matter
  double seconds_ = 0;
  double tasks_ = 0;
};

/// Tasks in the next automatic hand-out: enough for kChunkSeconds of work
/// (one task while nothing is known), and, where the tasks left are known,
/// at most ceil(remaining / (2 workers)) — factoring (Hummel, Schonberg and
/// Flynn 1992), so hand-outs shrink toward the end and the workers finish together.
inline std::uint64_t auto_chunk(std::optional<double> per_task, std::optional<std::uint64_t> remaining,
                                std::size_t workers) noexcept {
  std::uint64_t tasks = 1;
  if (per_task) {
    const double wanted = *per_task > 0 ? kChunkSeconds / *per_task : static_cast<double>(kMaxChunkTasks);
    tasks =
        wanted >= static_cast<double>(kMaxChunkTasks) ? kMaxChunkTasks : static_cast<std::uint64_t>(std::ceil(wanted));
  }
  if (remaining) {
    const std::uint64_t split = 2 * std::max<std::uint64_t>(workers, 1);
    tasks = std::min(tasks, (*remaining + split - 1) / split);
  }
  return std::max<std::uint64_t>(tasks, 1);
}

/// map's chunk when none is given: about kMapChunksPerWorker per worker, so
/// a zig-zag deal evens out costs that drift along the list.
inline std::uint64_t auto_map_chunk(std::optional<std::uint64_t> tasks, std::size_t workers) noexcept {
  if (!tasks) return 16;
  const std::uint64_t chunks = kMapChunksPerWorker * std::max<std::uint64_t>(workers, 1);
  return std::max<std::uint64_t>(1, (*tasks + chunks - 1) / chunks);
}

/// map's tasks handed out dynamically after the scattered ones: the last
/// eighth of a list of known size (none for a short one), so workers that
/// ran slow (a busy core, costlier tasks) do not hold up the end.
inline std::uint64_t map_tail(std::uint64_t tasks, std::size_t workers) noexcept {
  return tasks >= 16 * std::max<std::uint64_t>(workers, 1) ? tasks / 8 : 0;
}

/// The worker (0-based) that gets chunk `chunk` of a zig-zag deal: 0, 1, …,
/// P-1, P-1, …, 1, 0, 0, 1, … Where task cost grows along the list, a cyclic
/// deal would give the last worker the costliest chunk of every round.
inline std::size_t zigzag_worker(std::uint64_t chunk, std::size_t workers) noexcept {
  const std::uint64_t round = chunk / workers;
  const auto place = static_cast<std::size_t>(chunk % workers);
  return round % 2 == 0 ? place : workers - 1 - place;
}

/// Walks the positions (places in the call) of one worker's share of a
/// zig-zag deal of `chunk`-task chunks, in the order the worker runs them.
class ZigZagCursor {
 public:
  ZigZagCursor(std::size_t worker, std::size_t workers, std::uint64_t chunk)
      : worker_(worker), workers_(workers), chunk_(std::max<std::uint64_t>(chunk, 1)) {}
  /// The next position; call it once per task of the share.
  std::uint64_t next() noexcept {
    const std::uint64_t place = round_ % 2 == 0 ? worker_ : workers_ - 1 - worker_;
    const std::uint64_t position = (round_ * workers_ + place) * chunk_ + offset_;
    if (++offset_ == chunk_) {
      offset_ = 0;
      ++round_;
    }
    return position;
  }

 private:
  std::uint64_t worker_;
  std::uint64_t workers_;
  std::uint64_t chunk_;
  std::uint64_t round_ = 0;
  std::uint64_t offset_ = 0;
};

}  // namespace rankpool::detail
