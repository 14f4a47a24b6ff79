// The engine's ends: dropping queued work, detaching a terminated handle's
// calls, stalls, and releasing the workers.
#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/engine_parts.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

void Engine::cancel_queued(std::optional<std::uint64_t> owner) {
  std::deque<std::shared_ptr<Batch>> kept;
  for (auto& batch : queue_) {
    if (owner && batch->owner != *owner) {
      kept.push_back(std::move(batch));
      continue;
    }
    // The tasks not taken are not read: an input that fails must not fail again here.
    const std::uint64_t total = batch->next + (batch->tasks->exhausted() ? 0 : batch->tasks->remaining().value_or(0));
    if (batch->sized) queued_known_ -= std::min(queued_known_, total - batch->next);
    if (!batch->sized) --queued_unsized_;
    for (std::uint64_t position = batch->next; position < total; ++position)
      batch->sink->deliver(terminated_result(position));
    batch->sink->set_total(total);
  }
  queue_ = std::move(kept);
  // Maps not started yet (their scatter is the engine's next round).
  std::erase_if(maps_, [&](const std::shared_ptr<MapOp>& op) {
    if (op->phase != MapOp::Phase::kQueued || (owner && op->owner != *owner)) return false;
    const std::uint64_t total = op->tasks->exhausted() ? 0 : op->tasks->remaining().value_or(0);
    for (std::uint64_t position = 0; position < total; ++position) op->sink->deliver(terminated_result(position));
    op->sink->set_total(total);
    return true;
  });
}

void Engine::detach_chunk(Chunk& chunk) {
  if (chunk.detached) return;
  chunk.detached = true;
  if (chunk.map) {
    ZigZagCursor cursor = *chunk.cursor;
    for (std::uint64_t i = 0; i < chunk.left; ++i) chunk.map->sink->deliver(terminated_result(cursor.next()));
    return;
  }
  for (const Segment& part : chunk.segments) {
    for (std::uint64_t i = 0; i < part.count; ++i) part.batch->sink->deliver(terminated_result(part.first + i));
    part.batch->in_flight -= part.count;
  }
}

void Engine::detach(std::optional<std::uint64_t> owner) {
  std::map<std::size_t, std::vector<std::uint64_t>> by_slot;  // the chunks each worker is told to drop
  for (auto& [id, chunk] : chunks_) {
    if ((owner && chunk.owner != *owner) || chunk.detached) continue;
    detach_chunk(chunk);
    by_slot[chunk.slot].push_back(id);
  }
  for (auto& op : maps_)
    if (!owner || op->owner == *owner) op->detached = true;
  for (auto& [slot, ids] : by_slot) send(slots_[slot], kCancel, write_cancel(ids));
}

std::vector<std::pair<int, std::uint64_t>> Engine::running_tasks() const {
  std::vector<std::pair<int, std::uint64_t>> out;
  for (const Slot& slot : slots_)
    if (slot.in_flight > 0) out.emplace_back(slot.rank, slot.first_index.empty() ? 0 : slot.first_index.front());
  return out;
}

void Engine::abort(int exit_code) const { abort_run(comm_, exit_code); }

void Engine::check_stalls() const {
  if (task_timeout_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  for (const Slot& slot : slots_) {
    if (slot.in_flight == 0 || slot.rank == 0) continue;
    const double silent = std::chrono::duration<double>(now - slot.last_heard).count();
    if (silent < task_timeout_) continue;
    const RankInfo& info = rank_info(slot.rank);
    std::ostringstream line;
    line.precision(3);
    line << "rank " << slot.rank << " (" << info.host << ", pid " << info.pid << ") has held task "
         << (slot.first_index.empty() ? 0 : slot.first_index.front()) << " for " << silent
         << " s without sending anything (the task timeout is " << task_timeout_ << " s)";
    throw StallError(line.str());
  }
}

void Engine::release_workers(int exit_code) {
  forget_retired();
  for (std::size_t rank = 1; rank < slots_.size(); ++rank)
    outbox_.post(static_cast<int>(rank), kStop, encode_value<int>(exit_code));
  outbox_.drain();
}

PoolStats Engine::stats(Clock::time_point now) const {
  PoolStats out;
  out.hand_outs = hand_outs_;
  out.result_bytes = result_bytes_;
  if (first_hand_out_) {
    const Clock::time_point end = busy() ? now : std::max(last_result_, *first_hand_out_);
    out.wall_seconds = std::chrono::duration<double>(end - *first_hand_out_).count();
  }
  // The world's workers; with none, or when the master works too, the master's stand-in thread.
  const std::size_t first = slots_.size() > 1 && !master_works_ ? 1 : 0;
  for (std::size_t i = first; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    const double fraction = out.wall_seconds > 0 ? std::min(1.0, slot.busy_seconds / out.wall_seconds) : 0;
    out.workers.push_back(WorkerStats{slot.rank, slot.tasks_done, slot.busy_seconds, fraction});
  }
  if (!out.workers.empty()) {
    double sum = 0;
    out.worker_busy_min = 1;
    for (const WorkerStats& worker : out.workers) {
      sum += worker.busy_fraction;
      out.worker_busy_min = std::min(out.worker_busy_min, worker.busy_fraction);
    }
    out.worker_busy_fraction = sum / static_cast<double>(out.workers.size());
  }
  return out;
}

TaskFailure Engine::failure_of(const TaskResult& result, const std::string& job) const {
  return TaskFailure{job, result.index, result.rank, rank_info(result.rank).host, result.payload, result.error_type};
}

}  // namespace rankpool::detail
