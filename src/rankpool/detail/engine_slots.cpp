// The engine's slots: which one takes the next hand-out, and how long the
// engine may sleep, in time that does not grow with the number of workers.
// Three indexes over the slots, kept by reindex() and offer() as chunks go
// out (add_chunk) and come back (settle): the idle slots in the order they
// went idle, the busy slots heard from since (a queue: each may have room),
// and the busy slots by when their estimated work runs out.
#include <algorithm>
#include <limits>

#include "rankpool/detail/engine.hpp"

namespace rankpool::detail {

namespace {

/// An idle worker heard from last gets at most this many hand-outs in a row:
/// a run of apply calls still reaches every worker (ten calls, five workers
/// on three nodes: each takes two), and half the calls find a warm worker.
constexpr int kWarmRun = 2;

}  // namespace

double Engine::queued_work(const Slot& slot, Clock::time_point now) const {
  // The worker has been running its queue since it last reported.
  const double ran = std::chrono::duration<double>(now - slot.last_heard).count();
  return std::max(0.0, slot.queued - ran);
}

bool Engine::has_room(const Slot& slot, Clock::time_point now, int concurrency) const {
  // A job that holds several tasks at once: up to that many, however handed out.
  if (concurrency > 1) return slot.stream_tasks < static_cast<std::uint64_t>(concurrency) && slot.in_flight < kMaxDepth;
  if (slot.in_flight == 0) return true;
  if (depth_ > 0) return slot.in_flight < depth_;
  if (slot.in_flight >= kMaxDepth) return false;
  if (slot.unestimated > 0) return slot.in_flight < 2;
  return queued_work(slot, now) < kPrefetchSeconds;
}

void Engine::reindex(std::size_t index) {
  Slot& slot = slots_[index];
  const bool idle = slot.in_flight == 0;
  if (idle && !slot.idle_entry) {
    slot.idle_entry = idle_.insert(idle_.end(), index);  // the most recently idle last
  } else if (!idle && slot.idle_entry) {
    idle_.erase(*slot.idle_entry);
    slot.idle_entry.reset();
  }
  if (slot.finish_entry) {
    finishing_.erase(*slot.finish_entry);
    slot.finish_entry.reset();
  }
  const bool unestimated = !idle && slot.unestimated > 0;
  if (unestimated != slot.counted_unestimated) {
    busy_unestimated_ += unestimated ? 1 : -1;
    slot.counted_unestimated = unestimated;
  }
  if (!idle && !unestimated) {
    const auto runs_out =
        slot.last_heard + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(slot.queued));
    slot.finish_entry = finishing_.emplace(runs_out, index);
  }
}

void Engine::offer(std::size_t index) {
  Slot& slot = slots_[index];
  if (slot.offered || slot.in_flight == 0) return;  // an idle slot is found in idle_
  slot.offered = true;
  offered_.push_back(index);
}

Engine::Slot* Engine::pick_slot(Clock::time_point now, int concurrency, int pool_size) {
  const std::size_t first = first_slot(pool_size);
  const std::size_t end = end_slot(pool_size);
  const auto usable = [&](std::size_t index) { return index >= first && index < end; };
  // An idle worker first. Between idle ones, the one heard from last: it is
  // still polling, where one idle longer sleeps in its backoff (apply, one
  // task at a time, stays on a warm worker) — but for at most kWarmRun
  // hand-outs in a row, so every worker takes part: then the one idle longest.
  std::optional<std::size_t> chosen;
  if (warm_run_ < kWarmRun) {
    for (auto it = idle_.rbegin(); it != idle_.rend() && !chosen; ++it)
      if (usable(*it)) chosen = *it;
  } else {
    for (auto it = idle_.begin(); it != idle_.end() && !chosen; ++it)
      if (usable(*it)) chosen = *it;
  }
  // Else a busy worker heard from since, in the order they were heard; one
  // without room now is offered again with its next results.
  while (!chosen && !offered_.empty()) {
    const std::size_t index = offered_.front();
    offered_.pop_front();
    slots_[index].offered = false;
    if (usable(index) && has_room(slots_[index], now, concurrency)) chosen = index;
  }
  if (!chosen) return nullptr;
  Slot& slot = slots_[*chosen];
  warm_run_ = *chosen == last_chosen_ && slot.in_flight == 0 ? warm_run_ + 1 : 0;
  last_chosen_ = *chosen;
  return &slot;
}

std::optional<double> Engine::half_smallest_queue() const {
  // A collective in progress needs the master's calls.
  if (!maps_.empty() || busy_unestimated_ > 0 || finishing_.empty()) return std::nullopt;
  const double smallest = std::chrono::duration<double>(finishing_.begin()->first - Clock::now()).count();
  return std::max(0.0, smallest) / 2;
}

}  // namespace rankpool::detail
