#include "rankpool/detail/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <exception>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/local_worker.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

struct Engine::Batch {
  JobPtr job;
  std::unique_ptr<TaskSource> tasks;
  std::uint64_t chunksize = 1;
  std::uint64_t next = 0;  // position of the next task to hand out
  std::uint64_t in_flight = 0;
  std::shared_ptr<ResultSink> sink;

  bool ready() const { return !tasks->exhausted() && sink->wants_more(in_flight); }
};

struct Engine::MapOp {
  enum class Phase { kQueued, kSizes, kData, kDone };
  JobPtr job;
  std::unique_ptr<TaskSource> tasks;
  std::uint64_t chunksize = 1;
  std::shared_ptr<ResultSink> sink;
  int pool_size = 0;
  MPI_Comm comm = MPI_COMM_NULL;
  Phase phase = Phase::kQueued;
  std::string scattered;
  std::vector<int> send_counts;
  std::vector<int> send_displs;
  std::vector<std::vector<std::uint64_t>> positions;  // per worker rank, in the order it runs them
  std::vector<std::uint64_t> sizes;
  std::uint64_t no_records = 0;
  MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  std::vector<int> unit_counts;
  std::vector<int> unit_displs;
  std::string received;
};

Engine::Engine(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks)
    : comm_(std::move(comm)), registry_(registry), ranks_(std::move(ranks)), outbox_(comm_),
      retired_(std::make_shared<std::vector<std::pair<std::uint64_t, std::string>>>()),
      collectives_(comm_, static_cast<int>(kUnitBytes)) {
  slots_.resize(ranks_.size());
  for (std::size_t rank = 0; rank < slots_.size(); ++rank) slots_[rank].rank = static_cast<int>(rank);
  pool_size_ = world_workers();
}

Engine::~Engine() = default;

void Engine::set_pool_size(int workers) {
  if (workers < 0 || workers > world_workers())
    throw UsageError("pool of " + std::to_string(workers) + " workers asked for, but " +
                     std::to_string(world_workers()) + " are running");
  pool_size_ = workers;
}

JobPtr Engine::load_job(std::string_view name, std::string params) {
  std::string key;
  key.reserve(name.size() + 1 + params.size());
  key.append(name).push_back('\0');
  key += params;
  auto found = jobs_by_key_.find(key);
  if (found != jobs_by_key_.end())
    if (JobPtr live = found->second.lock()) return live;
  if (!registry_.contains(std::string(name))) throw UsageError("unknown job '" + std::string(name) + "'");
  auto* entry = new JobEntry{next_job_id_++, std::string(name), std::move(params), key};
  // The last holder files the job for forgetting; the engine tells the workers in its next round.
  JobPtr job(entry, [retired = retired_](const JobEntry* gone) {
    retired->emplace_back(gone->id, gone->key);
    delete gone;
  });
  jobs_by_key_[std::move(key)] = job;
  recent_jobs_.push_front(job);
  if (recent_jobs_.size() > 16) recent_jobs_.pop_back();
  return job;
}

void Engine::forget_retired() {
  auto retired = std::move(*retired_);
  retired_->clear();
  for (auto& [id, key] : retired) {
    if (auto found = jobs_by_key_.find(key); found != jobs_by_key_.end() && found->second.expired())
      jobs_by_key_.erase(found);
    for (Slot& slot : slots_)
      if (slot.jobs.erase(id) != 0) send(slot, kForget, encode_value<std::uint64_t>(id));
    if (inline_ && inline_jobs_.erase(id) != 0) inline_->forget(id);
  }
}

void Engine::send(Slot& slot, int tag, std::string message) {
  if (slot.rank != 0) {
    outbox_.post(slot.rank, tag, std::move(message));
    return;
  }
  if (!local_) local_ = std::make_unique<LocalWorker>(registry_, ranks_.front().host, ranks_.front().pid);
  local_->post(tag, std::move(message));
}

void Engine::ensure_job(Slot& slot, const JobEntry& job) {
  if (!slot.jobs.insert(job.id).second) return;
  ByteWriter out;
  write(out, JobSpec{job.id, job.name, job.params, trace_});
  send(slot, kJob, std::move(out).finish());
}

void Engine::submit(JobPtr job, std::unique_ptr<TaskSource> tasks, std::uint64_t chunksize,
                    std::shared_ptr<ResultSink> sink) {
  if (tasks->exhausted()) {
    sink->set_total(0);
    return;
  }
  auto batch = std::make_shared<Batch>();
  batch->job = std::move(job);
  batch->tasks = std::move(tasks);
  batch->chunksize = std::max<std::uint64_t>(chunksize, 1);
  batch->sink = std::move(sink);
  queue_.push_back(std::move(batch));
  // Hand out at once: the master may not call into the pool again until get().
  progress();
}

void Engine::submit_map(JobPtr job, std::unique_ptr<TaskSource> tasks, std::uint64_t chunksize,
                        std::shared_ptr<ResultSink> sink) {
  if (tasks->exhausted()) {
    sink->set_total(0);
    return;
  }
  if (pool_size_ == 0) {
    submit(std::move(job), std::move(tasks), chunksize, std::move(sink));
    return;
  }
  auto op = std::make_unique<MapOp>();
  op->job = std::move(job);
  op->tasks = std::move(tasks);
  op->chunksize = std::max<std::uint64_t>(chunksize, 1);
  op->sink = std::move(sink);
  op->pool_size = pool_size_;
  maps_.push_back(std::move(op));
  // Start the collectives now: the small messages go out eagerly, so the
  // workers run the whole map while the master does other work until get().
  progress();
}

void Engine::run_inline(const JobPtr& job, TaskSource& tasks, ResultSink& sink) {
  if (!inline_) inline_ = std::make_unique<Executor>(registry_, 0, ranks_.front().host, ranks_.front().pid);
  if (inline_jobs_.insert(job->id).second) inline_->load(JobSpec{job->id, job->name, job->params, trace_});
  std::uint64_t position = 0;
  while (!tasks.exhausted()) {
    ByteWriter task(/*framed=*/false);
    if (tasks.take(1, position, task) == 0) break;
    const std::string bytes = std::move(task).finish();
    ByteReader in(bytes, /*framed=*/false);
    const TaskList list = read_tasks(in, tasks.kind(), 1);
    ByteWriter record_bytes(/*framed=*/false);
    inline_->run(job->id, list, record_bytes);
    const std::string records = std::move(record_bytes).finish();
    ByteReader records_in(records, /*framed=*/false);
    TaskRecord record = read_record(records_in);
    TaskResult result{position, record.index, 0, record.ok, std::move(record.payload), record.start, record.end,
                      false, std::move(record.error_type)};
    if (observer_) observer_(result, job->name);
    sink.deliver(std::move(result));
    ++position;
  }
  sink.set_total(position);
}

bool Engine::progress() {
  // A result callback may submit more work, which calls back in here: the
  // outer round goes on with it, so the inner call does nothing.
  if (in_progress_) return false;
  struct Guard {
    bool& flag;
    explicit Guard(bool& f) : flag(f) { flag = true; }
    ~Guard() { flag = false; }
  } guard(in_progress_);
  bool moved = false;
  if (!chunks_.empty()) moved |= receive_results();
  if (!queue_.empty()) moved |= hand_out();
  if (!maps_.empty()) moved |= progress_maps();
  if (!retired_->empty()) forget_retired();
  if (!outbox_.empty()) outbox_.reap();
  return moved;
}

bool Engine::wait_until(const std::function<bool()>& done, Deadline deadline) {
  Backoff backoff;
  while (!done()) {
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
    // Every round, busy or not: a steady stream of results must not hide a signal.
    if (wait_hook_) wait_hook_();
    if (progress()) {
      backoff.reset();
      continue;
    }
    if (task_timeout_ > 0) check_stalls();
    backoff.pause();
  }
  return true;
}

bool Engine::busy() const noexcept { return !queue_.empty() || !chunks_.empty() || !maps_.empty(); }

bool Engine::hand_out() {
  bool moved = false;
  const std::size_t first = first_slot();
  const std::size_t count_slots = end_slot() - first;
  if (next_slot_ < first || next_slot_ >= end_slot()) next_slot_ = first;
  for (;;) {
    auto batch_it = std::find_if(queue_.begin(), queue_.end(), [](const auto& batch) { return batch->ready(); });
    if (batch_it == queue_.end()) break;
    // The least loaded worker, ties broken round-robin so work spreads.
    Slot* chosen = nullptr;
    std::size_t chosen_index = 0;
    for (std::size_t step = 0; step < count_slots; ++step) {
      const std::size_t index = first + (next_slot_ - first + step) % count_slots;
      Slot& candidate = slots_[index];
      if (candidate.in_flight >= depth_) continue;
      if (!chosen || candidate.in_flight < chosen->in_flight) {
        chosen = &candidate;
        chosen_index = index;
      }
    }
    if (!chosen) break;
    next_slot_ = first + (chosen_index - first + 1) % count_slots;

    Batch& batch = **batch_it;
    ensure_job(*chosen, *batch.job);
    const std::uint64_t chunk_id = next_chunk_++;
    ByteWriter out;
    const std::size_t header_at = out.size();
    write(out, ChunkHeader{batch.job->id, chunk_id, 0, batch.tasks->kind()});
    const std::size_t tasks_at = out.size();
    const std::uint64_t count = batch.tasks->take(batch.chunksize, batch.next, out);
    const bool exhausted = batch.tasks->exhausted();
    if (count > 0) {
      out.patch(header_at + 2 * sizeof(std::uint64_t), count);
      if (chosen->in_flight == 0) chosen->last_heard = std::chrono::steady_clock::now();
      // The first task's index (every task starts with it), for a stall's message.
      ByteReader first_task(out.view().substr(tasks_at), /*framed=*/false);
      chosen->first_index.push_back(first_task.value<std::uint64_t>());
      send(*chosen, kTasks, std::move(out).finish());
      chunks_.emplace(chunk_id, Chunk{*batch_it, batch.next, count, chosen_index});
      (chosen->rank == 0 ? local_chunks_ : remote_chunks_) += 1;
      chosen->in_flight += 1;
      batch.next += count;
      batch.in_flight += count;
      moved = true;
    }
    if (exhausted) {
      batch.sink->set_total(batch.next);
      queue_.erase(batch_it);
    }
  }
  return moved;
}

bool Engine::receive_results() {
  bool moved = false;
  while (remote_chunks_ > 0) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, kResults, comm_, &flag, &message, &status);
    // Open MPI's probe matches before it progresses: a message that call
    // pulled in shows up only on the next one. Ask again before giving up.
    if (!flag) MPI_Improbe(MPI_ANY_SOURCE, kResults, comm_, &flag, &message, &status);
    if (!flag) break;
    take_results(receive_matched(comm_, message, status), status.MPI_SOURCE);
    moved = true;
  }
  while (local_chunks_ > 0) {
    auto message = local_->poll();
    if (!message) break;
    take_results(*message, 0);
    moved = true;
  }
  return moved;
}

void Engine::take_results(const std::string& message, int rank) {
  ByteReader in(message);
  const ResultsHeader header = read_results_header(in);
  auto found = chunks_.find(header.chunk_id);
  if (found == chunks_.end())
    throw RuntimeError("rankpool: results for an unknown chunk from rank " + std::to_string(rank));
  Chunk chunk = std::move(found->second);
  chunks_.erase(found);
  Slot& slot = slots_[chunk.slot];
  (slot.rank == 0 ? local_chunks_ : remote_chunks_) -= 1;
  slot.in_flight -= 1;
  if (!slot.first_index.empty()) slot.first_index.pop_front();
  slot.last_heard = std::chrono::steady_clock::now();
  chunk.batch->in_flight -= chunk.count;
  for (std::uint64_t i = 0; i < header.count; ++i) {
    TaskRecord record = read_record(in);
    deliver(*chunk.batch, TaskResult{chunk.first + i, record.index, rank, record.ok, std::move(record.payload),
                                     record.start, record.end, false, std::move(record.error_type)});
  }
}

void Engine::deliver(Batch& batch, TaskResult&& result) {
  if (observer_) observer_(result, batch.job->name);
  batch.sink->deliver(std::move(result));
}

void Engine::cancel_queued() {
  auto queued = std::move(queue_);
  queue_.clear();
  for (auto& batch : queued) {
    while (!batch->tasks->exhausted()) {
      ByteWriter scratch(/*framed=*/false);
      const std::uint64_t count = batch->tasks->take(1024, batch->next, scratch);
      if (count == 0) break;
      const std::string bytes = std::move(scratch).finish();
      ByteReader in(bytes, /*framed=*/false);
      const TaskList list = read_tasks(in, batch->tasks->kind(), count);
      for (std::uint64_t i = 0; i < count; ++i) {
        TaskResult result{batch->next + i, list.indices[i], 0, false, "pool terminated before the task ran", 0, 0,
                          true, {}};
        batch->sink->deliver(std::move(result));
      }
      batch->next += count;
    }
    batch->sink->set_total(batch->next);
  }
}

void Engine::check_stalls() const {
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t index = first_slot(); index < end_slot(); ++index) {
    const Slot& slot = slots_[index];
    if (slot.in_flight == 0) continue;
    const double silent = std::chrono::duration<double>(now - slot.last_heard).count();
    if (silent < task_timeout_) continue;
    const RankInfo& info = rank_info(slot.rank);
    throw StallError("rank " + std::to_string(slot.rank) + " (" + info.host + ", pid " + std::to_string(info.pid) +
                     ") sent nothing for " + std::to_string(static_cast<long long>(silent)) +
                     " s while holding task " + std::to_string(slot.first_index.empty() ? 0 : slot.first_index.front()) +
                     " (--task-timeout " + std::to_string(static_cast<long long>(task_timeout_)) + ")");
  }
}

bool Engine::progress_maps() {
  // Collectives on one communicator must be posted in the same order on every
  // rank, and a worker finishes one map before it reads the next: so do we.
  MapOp& op = *maps_.front();
  if (op.phase == MapOp::Phase::kQueued) {
    start_map(op);
    return true;
  }
  bool moved = finish_map_phase(op);
  if (op.phase == MapOp::Phase::kDone) maps_.pop_front();
  return moved;
}

void Engine::start_map(MapOp& op) {
  const int pool = op.pool_size;
  const auto workers = static_cast<std::size_t>(pool);
  // Deal chunks out cyclically: task cost often grows with the index, and
  // contiguous blocks would leave the last worker with the heaviest share.
  std::vector<ByteWriter> shares(workers, ByteWriter(/*framed=*/false));
  op.positions.assign(workers + 1, {});
  std::uint64_t position = 0;
  for (std::uint64_t chunk = 0; !op.tasks->exhausted(); ++chunk) {
    const std::size_t w = chunk % workers;
    const std::uint64_t count = op.tasks->take(op.chunksize, position, shares[w]);
    if (count == 0) break;
    for (std::uint64_t i = 0; i < count; ++i) op.positions[w + 1].push_back(position + i);
    position += count;
  }
  op.sink->set_total(position);
  op.send_counts.assign(workers + 1, 0);
  op.send_displs.assign(workers + 1, 0);
  std::uint64_t units = 0;
  for (std::size_t w = 0; w < workers; ++w) {
    shares[w].pad_to_units();
    const std::uint64_t share_units = shares[w].size() / kUnitBytes;
    if (share_units > INT_MAX || units > INT_MAX)
      throw RuntimeError("map arguments exceed 128 GiB per worker; use imap, which streams them");
    op.send_counts[w + 1] = static_cast<int>(share_units);
    op.send_displs[w + 1] = static_cast<int>(units);
    units += share_units;
  }
  op.scattered.reserve(units * kUnitBytes);
  for (auto& share : shares) op.scattered += std::move(share).finish();
  for (int w = 1; w <= pool; ++w) {
    Slot& slot = slots_[static_cast<std::size_t>(w)];
    ensure_job(slot, *op.job);
    ByteWriter header;
    write(header, MapHeader{op.job->id, static_cast<std::uint64_t>(pool), op.positions[static_cast<std::size_t>(w)].size(),
                            static_cast<std::uint64_t>(op.send_counts[static_cast<std::size_t>(w)]), op.tasks->kind()});
    send(slot, kMap, std::move(header).finish());
  }
  op.comm = collectives_.pool(pool);
  MPI_Iscatterv(op.scattered.data(), op.send_counts.data(), op.send_displs.data(), collectives_.unit(), nullptr, 0, collectives_.unit(),
                0, op.comm, &op.requests[0]);
  op.sizes.assign(workers + 1, 0);
  MPI_Igather(&op.no_records, 1, MPI_UINT64_T, op.sizes.data(), 1, MPI_UINT64_T, 0, op.comm, &op.requests[1]);
  op.phase = MapOp::Phase::kSizes;
}

bool Engine::finish_map_phase(MapOp& op) {
  int done = 0;
  if (op.phase == MapOp::Phase::kSizes) {
    MPI_Testall(2, op.requests, &done, MPI_STATUSES_IGNORE);
    if (!done) return false;
    std::string().swap(op.scattered);
    op.unit_counts.assign(op.sizes.size(), 0);
    op.unit_displs.assign(op.sizes.size(), 0);
    std::uint64_t offset = 0;
    for (std::size_t w = 0; w < op.sizes.size(); ++w) {
      const std::uint64_t units = op.sizes[w] / kUnitBytes;
      if (units > INT_MAX || offset > INT_MAX)
        throw RuntimeError("map results exceed 128 GiB; use imap, which streams them");
      op.unit_counts[w] = static_cast<int>(units);
      op.unit_displs[w] = static_cast<int>(offset);
      offset += units;
    }
    op.received.assign(offset * kUnitBytes, '\0');
    MPI_Igatherv(nullptr, 0, collectives_.unit(), op.received.data(), op.unit_counts.data(), op.unit_displs.data(),
                 collectives_.unit(), 0, op.comm, &op.requests[0]);
    op.phase = MapOp::Phase::kData;
    return true;
  }
  MPI_Test(&op.requests[0], &done, MPI_STATUS_IGNORE);
  if (!done) return false;
  op.phase = MapOp::Phase::kDone;
  for (std::size_t w = 1; w < op.sizes.size(); ++w) {
    ByteReader reader(std::string_view(op.received).substr(static_cast<std::size_t>(op.unit_displs[w]) * kUnitBytes,
                                                           op.sizes[w]),
                      /*framed=*/false);
    for (std::uint64_t position : op.positions[w]) {
      TaskRecord record = read_record(reader);
      TaskResult result{position, record.index, static_cast<int>(w), record.ok, std::move(record.payload),
                        record.start, record.end, false, std::move(record.error_type)};
      if (observer_) observer_(result, op.job->name);
      op.sink->deliver(std::move(result));
    }
  }
  return true;
}

void Engine::stop_workers(int exit_code) {
  wait_until([this] { return !busy(); });
  forget_retired();
  for (std::size_t rank = 1; rank < slots_.size(); ++rank)
    outbox_.post(static_cast<int>(rank), kStop, encode_value<int>(exit_code));
  outbox_.drain();
}

void Engine::abandon(int exit_code) {
  in_progress_ = false;
  cancel_queued();
  stop_workers(exit_code);
}

TaskFailure Engine::failure_of(const TaskResult& result, const std::string& job) const {
  return TaskFailure{job, result.index, result.rank, rank_info(result.rank).host, result.payload, result.error_type};
}

}  // namespace rankpool::detail
