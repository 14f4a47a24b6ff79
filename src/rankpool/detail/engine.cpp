#include "rankpool/detail/engine.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <limits>
#include <sstream>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/budget.hpp"
#include "rankpool/detail/engine_parts.hpp"
#include "rankpool/detail/local_worker.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

namespace {

/// A planned sleep shorter than this is not worth a wake-up: poll instead.
constexpr double kMinPlannedSleep = 100e-6;
/// The engine's thread looks at the pool at least this often while work is out.
constexpr double kMaxPlannedSleep = 20e-3;
/// ... and at most this long while a send is still going.
constexpr double kMaxSleepWhileSending = 1e-3;
/// The receive buffer is kept between messages up to this size.
constexpr std::size_t kKeptInbox = std::size_t{64} << 20;

}  // namespace

Engine::Engine(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks, JobTable& jobs,
               std::function<void()> initializer)
    : comm_(std::move(comm)), registry_(registry), ranks_(std::move(ranks)), jobs_(jobs), outbox_(comm_),
      initializer_(std::move(initializer)), collectives_(comm_, static_cast<int>(kUnitBytes)) {
  slots_.resize(ranks_.size());
  for (std::size_t rank = 0; rank < slots_.size(); ++rank) {
    slots_[rank].rank = static_cast<int>(rank);
    reindex(rank);  // every slot starts idle
  }
  WaitPolicy asked = WaitPolicy::kAuto;
  if (const char* word = std::getenv("RANKPOOL_WAIT")) {
    if (auto policy = parse_wait_policy(word))
      asked = *policy;
    else  // the workers are already serving: an exception here would leave them waiting
      std::cerr << "rankpool: warning: RANKPOOL_WAIT=" << word << " is not auto, block or backoff; waiting as auto"
                << std::endl;
  }
  set_wait_policy(asked);
}

Engine::~Engine() = default;

void Engine::set_wait_policy(WaitPolicy policy) {
  const WaitPolicy resolved = policy == WaitPolicy::kAuto ? auto_wait_policy(ranks_) : policy;
  // Workers start under backoff; they hear of a change before any later task.
  if (resolved != policy_)
    for (std::size_t rank = 1; rank < slots_.size(); ++rank)
      outbox_.post(static_cast<int>(rank), kWait, encode_value<std::uint8_t>(resolved == WaitPolicy::kBlock ? 1 : 0));
  policy_ = resolved;
}

void Engine::forget_retired() {
  for (const std::uint64_t id : jobs_.take_retired()) {
    clocks_.erase(id);
    for (Slot& slot : slots_)
      if (slot.jobs.erase(id) != 0) send(slot, kForget, encode_value<std::uint64_t>(id));
  }
}

void Engine::send(Slot& slot, int tag, std::string message) {
  if (slot.rank != 0) {
    outbox_.post(slot.rank, tag, std::move(message));
    return;
  }
  if (!local_) local_ = std::make_unique<LocalWorker>(registry_, ranks_.front().host, ranks_.front().pid, initializer_);
  local_->post(tag, std::move(message));
}

void Engine::ensure_job(Slot& slot, const JobEntry& job) {
  if (!slot.jobs.insert(job.id).second) return;
  ByteWriter out;
  write(out, JobSpec{job.id, job.name, job.params, trace_});
  send(slot, kJob, std::move(out).finish());
}

void Engine::submit(CallRequest call) {
  if (call.tasks->exhausted()) {
    if (call.tasks->error())
      call.sink->fail(call.tasks->error(), 0);
    else
      call.sink->set_total(0);
    return;
  }
  auto batch = std::make_shared<Batch>(std::move(call));
  if (auto remaining = batch->tasks->remaining()) {
    batch->sized = true;
    queued_known_ += *remaining;
  } else {
    ++queued_unsized_;
  }
  queue_.push_back(std::move(batch));
}

bool Engine::progress() {
  bool moved = false;
  // A finished scatter frees its buffer before its results come in.
  if (!maps_.empty()) moved |= progress_maps();
  if (!chunks_.empty()) moved |= receive_results();
  if (!queue_.empty()) moved |= hand_out();
  forget_retired();
  if (!outbox_.empty()) outbox_.reap();
  return moved;
}

bool Engine::only_terminated_out() const noexcept {
  return queue_.empty() && std::all_of(maps_.begin(), maps_.end(), [](const auto& op) { return op->detached; }) &&
         std::all_of(chunks_.begin(), chunks_.end(), [](const auto& entry) { return entry.second.detached; });
}

bool Engine::busy(std::optional<std::uint64_t> owner) const noexcept {
  if (!owner) return !queue_.empty() || !chunks_.empty() || !maps_.empty();
  const auto mine = [&](const auto& call) { return call->owner == *owner; };
  if (std::any_of(queue_.begin(), queue_.end(), mine)) return true;
  if (std::any_of(maps_.begin(), maps_.end(), [&](const auto& op) { return mine(op) && !op->detached; })) return true;
  return std::any_of(chunks_.begin(), chunks_.end(),
                     [&](const auto& entry) { return entry.second.owner == *owner && !entry.second.detached; });
}

std::optional<double> Engine::per_task(std::uint64_t job_id) const {
  auto found = clocks_.find(job_id);
  if (found == clocks_.end()) return std::nullopt;
  return found->second.per_task();
}

std::optional<double> Engine::planned_sleep() const {
  const std::optional<double> half = half_smallest_queue();
  if (!half || *half < kMinPlannedSleep) return std::nullopt;
  // A send not yet done may need the master's calls to go on (a large one
  // over TCP); a small one is only waiting for MPI to mark it done.
  return std::min(*half, outbox_.empty() ? kMaxPlannedSleep : kMaxSleepWhileSending);
}

void Engine::add_chunk(std::uint64_t chunk_id, Chunk chunk, std::uint64_t first_position, Clock::time_point now) {
  Slot& slot = slots_[chunk.slot];
  if (slot.in_flight == 0) slot.last_heard = now;
  slot.first_index.push_back(first_position);
  slot.in_flight += 1;
  if (chunk.concurrent) slot.stream_tasks += chunk.left;
  if (chunk.estimated)
    slot.queued += chunk.per_task * static_cast<double>(chunk.left) + kMessageSeconds;
  else
    slot.unestimated += 1;
  (slot.rank == 0 ? local_chunks_ : remote_chunks_) += 1;
  const std::size_t index = chunk.slot;
  chunks_.emplace(chunk_id, std::move(chunk));
  reindex(index);
  offer(index);  // it may have room for a next chunk (the prefetch)
  ++hand_outs_;
  if (!first_hand_out_) first_hand_out_ = now;
}

void Engine::fill_chunk(std::deque<std::shared_ptr<Batch>>::iterator batch_it, std::uint64_t want, Chunk& chunk,
                        TasksMessage& out) {
  // The first batch's shape, copied: the loop may erase that batch.
  const JobEntry* job = (*batch_it)->job.get();
  const ArgKind kind = (*batch_it)->tasks->kind();
  const std::uint64_t chunksize = (*batch_it)->chunksize;
  const int pool_size = (*batch_it)->pool_size;
  // Tasks of this job from this batch and the queued batches right after
  // it (apply_async calls), in order, into one message.
  for (auto it = batch_it; it != queue_.end() && chunk.left < want;) {
    Batch& batch = **it;
    if (batch.job.get() != job || batch.tasks->kind() != kind || batch.chunksize != chunksize ||
        batch.pool_size != pool_size || batch.owner != chunk.owner || !batch.ready())
      break;
    std::uint64_t take = want - chunk.left;
    // A stream's window bounds what is out: take half of what it still
    // accepts, so the other workers get some too.
    if (take > 1 && !batch.sink->wants_more(batch.in_flight + take - 1)) {
      while (take > 1 && !batch.sink->wants_more(batch.in_flight + take - 1)) take /= 2;
      take = std::max<std::uint64_t>(1, take / 2);
    }
    const std::uint64_t got = batch.tasks->take(take, batch.next, out.tasks());
    if (got > 0) {
      chunk.segments.push_back(Segment{*it, batch.next, got});
      batch.next += got;
      batch.in_flight += got;
      chunk.left += got;
      if (batch.sized) queued_known_ -= std::min(queued_known_, got);
    }
    if (!batch.tasks->exhausted()) break;  // the chunk is full, or the window is
    if (batch.tasks->error())
      fail_batch(batch);
    else
      batch.sink->set_total(batch.next);
    if (!batch.sized) --queued_unsized_;
    it = queue_.erase(it);
  }
}

bool Engine::hand_out() {
  bool moved = false;
  const auto now = Clock::now();
  for (;;) {
    auto batch_it = std::find_if(queue_.begin(), queue_.end(), [](const auto& batch) { return batch->ready(); });
    if (batch_it == queue_.end()) break;
    const JobEntry* job = (*batch_it)->job.get();
    const int pool_size = (*batch_it)->pool_size;
    Slot* chosen = pick_slot(now, job->concurrency, pool_size);
    if (!chosen) break;

    const ArgKind kind = (*batch_it)->tasks->kind();
    const std::uint64_t chunksize = (*batch_it)->chunksize;
    const std::optional<double> estimate = per_task(job->id);
    std::uint64_t want = chunksize;
    if (want == 0)
      want = auto_chunk(estimate, queued_unsized_ == 0 ? std::optional<std::uint64_t>(queued_known_) : std::nullopt,
                        end_slot(pool_size) - first_slot(pool_size));
    if (job->concurrency > 1)
      want = std::min<std::uint64_t>(want, static_cast<std::uint64_t>(job->concurrency) - chosen->stream_tasks);
    ensure_job(*chosen, *job);
    const std::uint64_t chunk_id = next_chunk_++;
    TasksMessage out(ChunkHeader{job->id, chunk_id, 0, kind});
    Chunk chunk;
    chunk.job_id = job->id;
    chunk.slot = static_cast<std::size_t>(chosen - slots_.data());
    chunk.estimated = estimate.has_value();
    chunk.per_task = estimate.value_or(0);
    chunk.concurrent = job->concurrency > 1;
    chunk.owner = (*batch_it)->owner;
    fill_chunk(batch_it, want, chunk, out);
    if (chunk.left == 0) continue;
    const std::uint64_t first_index = out.first_index();
    send(*chosen, kTasks, std::move(out).finish(chunk.left));
    add_chunk(chunk_id, std::move(chunk), first_index, now);
    moved = true;
  }
  return moved;
}

void Engine::fail_batch(Batch& batch) {
  // Its tasks already out still come back: the call drops them.
  if (batch.sized) queued_known_ -= std::min(queued_known_, batch.tasks->remaining().value_or(0));
  batch.sink->fail(batch.tasks->error(), batch.next);
}

bool Engine::receive_results() {
  bool moved = false;
  const auto now = Clock::now();  // one reading per round: the clock costs ~50 ns here
  while (remote_chunks_ > 0) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    // Any tag: a worker sends results and, from a task that draws on a
    // RateBudget, lease requests (one probe serves both).
    check_mpi(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &message, &status), "MPI_Improbe");
    // Open MPI's probe matches before it progresses: a message that call
    // pulled in shows up only on the next one. Ask again before giving up.
    if (!flag) check_mpi(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &message, &status), "MPI_Improbe");
    if (!flag) break;
    moved = true;
    if (status.MPI_TAG == kLease) {
      answer_lease(receive_matched(comm_, message, status), status.MPI_SOURCE);
      continue;
    }
    int size = 0;
    check_mpi(MPI_Get_count(&status, MPI_BYTE, &size), "MPI_Get_count");
    if (static_cast<std::size_t>(size) < max_piece_bytes()) {
      // One piece: into a buffer kept from round to round, so a stream of
      // large results does not map (and fault in) fresh memory per message.
      if (inbox_.size() < static_cast<std::size_t>(size)) inbox_.resize(static_cast<std::size_t>(size));
      check_mpi(MPI_Mrecv(inbox_.data(), size, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv");
      take_results(std::string_view(inbox_.data(), static_cast<std::size_t>(size)), status.MPI_SOURCE, now);
      if (inbox_.size() > kKeptInbox) std::string().swap(inbox_);
    } else {
      take_results(receive_matched(comm_, message, status), status.MPI_SOURCE, now);
    }
  }
  while (local_chunks_ > 0) {
    auto message = local_->poll();
    if (!message) break;
    take_results(*message, 0, now);
    moved = true;
  }
  return moved;
}

void Engine::answer_lease(std::string_view message, int rank) {
  ByteReader in(message);
  const LeaseRequest request = read_lease_request(in);
  if (!(request.per_second > 0) || request.slots == 0)
    throw RuntimeError("rankpool: a malformed lease request from rank " + std::to_string(rank));
  const LeaseSlots slots = master_timeline().lease(request.name, request.per_second, request.slots, rank, Clock::now());
  ByteWriter grant;
  write(grant, LeaseGrant{request.name, slots});
  outbox_.post(rank, kGrant, std::move(grant).finish());
}

void Engine::take_results(std::string_view message, int rank, Clock::time_point now) {
  ByteReader in(message);
  const ResultsHeader header = read_results_header(in);
  result_bytes_ += message.size();
  last_result_ = now;
  auto found = chunks_.find(header.chunk_id);
  if (found == chunks_.end() || header.count > found->second.left)
    throw RuntimeError("rankpool: results for an unknown chunk from rank " + std::to_string(rank));
  Chunk& chunk = found->second;
  const std::shared_ptr<MapOp> map = chunk.map;
  const std::uint64_t job_id = chunk.job_id;
  std::optional<ZigZagCursor> cursor = chunk.cursor;  // the positions of this message's records
  if (chunk.cursor)
    for (std::uint64_t i = 0; i < header.count; ++i) chunk.cursor->next();
  Segments segments;
  if (!map) segments = std::move(chunk.segments);  // one message answers a dynamic chunk
  const bool detached = chunk.detached;
  // Settle the books before any callback runs: one may submit work.
  settle(found, header.count, now);
  if (detached) return;  // its call was terminated and has its failures
  for (const Segment& part : segments) part.batch->in_flight -= part.count;
  double first_start = std::numeric_limits<double>::infinity();
  double last_end = -first_start;
  std::size_t segment = 0;
  std::uint64_t offset = 0;
  for (std::uint64_t i = 0; i < header.count; ++i) {
    TaskRecord record = read_record(in);
    first_start = std::min(first_start, record.start);
    last_end = std::max(last_end, record.end);
    std::uint64_t position = 0;
    if (cursor) {
      position = cursor->next();
    } else {
      while (offset == segments[segment].count) {
        ++segment;
        offset = 0;
      }
      position = segments[segment].first + offset++;
    }
    TaskResult result = result_of(std::move(record), position, rank);
    const JobEntry& job = map ? *map->job : *segments[segment].batch->job;
    ResultSink& sink = map ? *map->sink : *segments[segment].batch->sink;
    observe(result, job.name);
    sink.deliver(std::move(result));
  }
  if (header.count > 0) {
    clocks_[job_id].add(last_end - first_start, header.count);
    Slot& slot = slots_.at(static_cast<std::size_t>(rank));
    slot.tasks_done += header.count;
    slot.busy_seconds += std::max(0.0, last_end - first_start);
  }
}

void Engine::settle(ChunkMap::iterator found, std::uint64_t tasks, Clock::time_point now) {
  Chunk& chunk = found->second;
  Slot& slot = slots_[chunk.slot];
  slot.last_heard = now;
  chunk.left -= tasks;
  if (chunk.concurrent) slot.stream_tasks -= tasks;
  if (chunk.estimated)
    slot.queued = std::max(
        0.0, slot.queued - chunk.per_task * static_cast<double>(tasks) - (chunk.left == 0 ? kMessageSeconds : 0.0));
  const std::size_t index = chunk.slot;
  if (chunk.left > 0) {
    // A map share handed out before its job had an estimate gets one now.
    if (auto estimate = chunk.estimated ? std::nullopt : per_task(chunk.job_id)) {
      chunk.estimated = true;
      chunk.per_task = *estimate;
      slot.unestimated -= 1;
      slot.queued += *estimate * static_cast<double>(chunk.left) + kMessageSeconds;
    }
  } else {
    if (!chunk.estimated) slot.unestimated -= 1;
    if (slot.in_flight == 1) slot.queued = 0;  // no drift from estimates that changed
    slot.in_flight -= 1;
    if (!slot.first_index.empty()) slot.first_index.pop_front();
    (slot.rank == 0 ? local_chunks_ : remote_chunks_) -= 1;
    chunks_.erase(found);
  }
  reindex(index);
  if (slots_[index].in_flight > 0) offer(index);  // heard from: it may have room again
}

}  // namespace rankpool::detail
