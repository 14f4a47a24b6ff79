#include "rankpool/detail/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <exception>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/clock.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/protocol.hpp"
#include "rankpool/detail/trace_line.hpp"

namespace rankpool::detail {

struct Engine::Batch {
  std::uint64_t job_id = 0;
  TaskSet tasks;
  std::uint64_t chunksize = 1;
  std::uint64_t next = 0;
  std::uint64_t in_flight = 0;
  std::shared_ptr<ResultSink> sink;

  bool exhausted() const noexcept { return next >= tasks.size(); }
  bool ready() const { return !exhausted() && sink->wants_more(in_flight); }
};

struct Engine::MapOp {
  enum class Phase { kQueued, kSizes, kData, kDone };
  std::uint64_t job_id = 0;
  TaskSet tasks;
  std::uint64_t chunksize = 1;
  std::shared_ptr<ResultSink> sink;
  int pool_size = 0;
  MPI_Comm comm = MPI_COMM_NULL;
  Phase phase = Phase::kQueued;
  std::vector<int> counts;
  std::vector<int> displs;
  std::vector<std::uint64_t> send_indices;
  std::vector<std::uint64_t> slot_position;
  std::vector<std::uint64_t> sizes;
  std::uint64_t no_records = 0;
  MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  std::vector<int> unit_counts;
  std::vector<int> unit_displs;
  std::string received;
};

struct ChunkSend {
  std::vector<std::uint64_t> message;
  MPI_Request request = MPI_REQUEST_NULL;
};

Engine::Engine(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks)
    : comm_(std::move(comm)), registry_(registry), ranks_(std::move(ranks)) {
  for (int rank = 1; rank < static_cast<int>(ranks_.size()); ++rank) workers_.push_back(Worker{rank, 0, {}});
  pool_size_ = world_workers();
  MPI_Type_contiguous(static_cast<int>(kUnitBytes), MPI_BYTE, &unit_type_);
  MPI_Type_commit(&unit_type_);
}

Engine::~Engine() {
  for (auto& [size, comm] : pool_comms_) MPI_Comm_free(&comm);
  if (unit_type_ != MPI_DATATYPE_NULL) MPI_Type_free(&unit_type_);
}

void Engine::set_pool_size(int workers) {
  if (workers < 0 || workers > world_workers())
    throw UsageError("pool of " + std::to_string(workers) + " workers asked for, but " +
                     std::to_string(world_workers()) + " are running");
  pool_size_ = workers;
}

std::uint64_t Engine::load_job(const std::string& name, const std::string& params) {
  auto key = std::make_pair(name, params);
  auto found = job_ids_.find(key);
  if (found != job_ids_.end()) return found->second;
  if (!registry_.contains(name)) throw UsageError("unknown job '" + name + "'");
  jobs_.push_back(JobEntry{name, params, nullptr});
  const std::uint64_t id = jobs_.size();
  job_ids_.emplace(std::move(key), id);
  return id;
}

const std::string& Engine::job_name(std::uint64_t job_id) const { return jobs_.at(job_id - 1).name; }

TaskRunner& Engine::local_runner(std::uint64_t job_id) {
  JobEntry& entry = jobs_.at(job_id - 1);
  if (!entry.local) entry.local = registry_.make(entry.name, entry.params);
  return *entry.local;
}

TaskResult Engine::run_one(std::uint64_t job_id, std::uint64_t position, std::uint64_t index) {
  TaskResult result;
  result.position = position;
  result.index = index;
  result.rank = 0;
  const RankInfo& me = ranks_.front();
  if (trace_) print_trace_line(0, me.host, me.pid, "start", job_name(job_id), index, -1);
  result.start = wall_seconds();
  try {
    result.payload = local_runner(job_id).run(index);
  } catch (const std::exception& error) {
    result.ok = false;
    result.payload = error.what();
  } catch (...) {
    result.ok = false;
    result.payload = "unknown exception";
  }
  result.end = wall_seconds();
  if (trace_)
    print_trace_line(0, me.host, me.pid, result.ok ? "finish" : "fail", job_name(job_id), index,
                     result.end - result.start);
  return result;
}

void Engine::submit(std::uint64_t job_id, TaskSet tasks, std::uint64_t chunksize, std::shared_ptr<ResultSink> sink) {
  if (tasks.empty()) return;
  auto batch = std::make_shared<Batch>();
  batch->job_id = job_id;
  batch->tasks = std::move(tasks);
  batch->chunksize = std::max<std::uint64_t>(chunksize, 1);
  batch->sink = std::move(sink);
  queue_.push_back(std::move(batch));
  // Hand out at once: the master may not call into the pool again until get().
  if (pool_size_ > 0) progress();
}

void Engine::submit_map(std::uint64_t job_id, TaskSet tasks, std::uint64_t chunksize,
                        std::shared_ptr<ResultSink> sink) {
  if (tasks.empty()) return;
  if (pool_size_ == 0) {
    submit(job_id, std::move(tasks), chunksize, std::move(sink));
    return;
  }
  auto op = std::make_unique<MapOp>();
  op->job_id = job_id;
  op->tasks = std::move(tasks);
  op->chunksize = std::max<std::uint64_t>(chunksize, 1);
  op->sink = std::move(sink);
  op->pool_size = pool_size_;
  maps_.push_back(std::move(op));
  // Start the collectives now: the small messages go out eagerly, so the
  // workers run the whole map while the master does other work until get().
  progress();
}

void Engine::run_local(std::uint64_t job_id, const TaskSet& tasks, ResultSink& sink) {
  for (std::uint64_t position = 0; position < tasks.size(); ++position)
    sink.deliver(run_one(job_id, position, tasks[position]));
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
  if (!queue_.empty()) moved |= pool_size_ == 0 ? run_local_chunk() : hand_out();
  if (!maps_.empty()) moved |= progress_maps();
  if (!job_sends_.empty())
    std::erase_if(job_sends_, [](boost::mpi::request& request) { return request.test().has_value(); });
  return moved;
}

bool Engine::wait_until(const std::function<bool()>& done, Deadline deadline) {
  Backoff backoff;
  while (!done()) {
    // Every round, not only idle ones: with no workers the master runs the tasks inside progress().
    if (wait_hook_) wait_hook_();
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
    if (progress())
      backoff.reset();
    else
      backoff.pause();
  }
  return true;
}

bool Engine::busy() const noexcept { return !queue_.empty() || !chunks_.empty() || !maps_.empty(); }

void Engine::ensure_job(Worker& worker, std::uint64_t job_id) {
  if (!worker.jobs.insert(job_id).second) return;
  const JobEntry& entry = jobs_.at(job_id - 1);
  JobSpec spec{job_id, entry.name, entry.params, trace_};
  job_sends_.push_back(comm_.isend(worker.rank, kJob, spec));
}

bool Engine::hand_out() {
  bool moved = false;
  const std::size_t pool = static_cast<std::size_t>(pool_size_);
  for (;;) {
    auto batch_it = std::find_if(queue_.begin(), queue_.end(), [](const auto& batch) { return batch->ready(); });
    if (batch_it == queue_.end()) break;
    // The least loaded worker, ties broken round-robin so work spreads.
    Worker* chosen = nullptr;
    std::size_t chosen_slot = 0;
    for (std::size_t step = 0; step < pool; ++step) {
      std::size_t slot = (next_worker_ + step) % pool;
      Worker& candidate = workers_[slot];
      if (candidate.in_flight >= depth_) continue;
      if (!chosen || candidate.in_flight < chosen->in_flight) {
        chosen = &candidate;
        chosen_slot = slot;
      }
    }
    if (!chosen) break;
    next_worker_ = (chosen_slot + 1) % pool;

    Batch& batch = **batch_it;
    ensure_job(*chosen, batch.job_id);
    const std::uint64_t count = std::min(batch.chunksize, batch.tasks.size() - batch.next);
    const std::uint64_t chunk_id = next_chunk_++;
    auto send = std::make_shared<ChunkSend>();
    send->message.reserve(3 + count);
    send->message.insert(send->message.end(), {batch.job_id, chunk_id, count});
    for (std::uint64_t i = 0; i < count; ++i) send->message.push_back(batch.tasks[batch.next + i]);
    MPI_Isend(send->message.data(), static_cast<int>(send->message.size()), MPI_UINT64_T, chosen->rank, kTasks,
              comm_, &send->request);
    chunks_.emplace(chunk_id, Chunk{*batch_it, batch.next, count, chosen->rank, std::move(send)});
    chosen->in_flight += 1;
    batch.next += count;
    batch.in_flight += count;
    moved = true;
    if (batch.exhausted()) queue_.erase(batch_it);
  }
  return moved;
}

bool Engine::receive_results() {
  bool moved = false;
  for (;;) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, kResults, comm_, &flag, &message, &status);
    // Open MPI's probe matches before it progresses: a message that call
    // pulled in shows up only on the next one. Ask again before giving up.
    if (!flag) MPI_Improbe(MPI_ANY_SOURCE, kResults, comm_, &flag, &message, &status);
    if (!flag) break;
    int size = 0;
    MPI_Get_count(&status, MPI_BYTE, &size);
    std::string buffer(static_cast<std::size_t>(size), '\0');
    MPI_Mrecv(buffer.data(), size, MPI_BYTE, &message, MPI_STATUS_IGNORE);

    ByteReader reader(buffer);
    const auto chunk_id = reader.value<std::uint64_t>();
    const auto count = reader.value<std::uint64_t>();
    auto found = chunks_.find(chunk_id);
    if (found == chunks_.end()) throw RuntimeError("rankpool: results for an unknown chunk from rank " +
                                                   std::to_string(status.MPI_SOURCE));
    Chunk chunk = std::move(found->second);
    chunks_.erase(found);
    // The worker answered, so it has the message: this wait returns at once.
    MPI_Wait(&chunk.send->request, MPI_STATUS_IGNORE);
    workers_[static_cast<std::size_t>(chunk.worker - 1)].in_flight -= 1;
    chunk.batch->in_flight -= chunk.count;
    for (std::uint64_t i = 0; i < count; ++i) {
      TaskRecord record = reader.record();
      TaskResult result{chunk.first + i, record.index, status.MPI_SOURCE, record.ok, std::move(record.payload),
                        record.start, record.end};
      chunk.batch->sink->deliver(std::move(result));
    }
    moved = true;
  }
  return moved;
}

bool Engine::run_local_chunk() {
  auto batch_it = std::find_if(queue_.begin(), queue_.end(), [](const auto& batch) { return batch->ready(); });
  if (batch_it == queue_.end()) return false;
  auto batch = *batch_it;
  const std::uint64_t count = std::min(batch->chunksize, batch->tasks.size() - batch->next);
  const std::uint64_t first = batch->next;
  batch->next += count;
  if (batch->exhausted()) queue_.erase(batch_it);
  for (std::uint64_t i = 0; i < count; ++i)
    batch->sink->deliver(run_one(batch->job_id, first + i, batch->tasks[first + i]));
  return true;
}

void Engine::cancel_queued() {
  auto queued = std::move(queue_);
  queue_.clear();
  for (auto& batch : queued) {
    for (std::uint64_t position = batch->next; position < batch->tasks.size(); ++position) {
      TaskResult result{position, batch->tasks[position], 0, false, "pool terminated before the task ran", 0, 0, true};
      batch->sink->deliver(std::move(result));
    }
    batch->next = batch->tasks.size();
  }
}

MPI_Comm Engine::pool_comm(int pool_size) {
  auto found = pool_comms_.find(pool_size);
  if (found != pool_comms_.end()) return found->second;
  MPI_Comm comm = make_pool_comm(comm_, pool_size);
  pool_comms_[pool_size] = comm;
  return comm;
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
  const std::uint64_t total = op.tasks.size();
  // Deal chunks out cyclically: task cost often grows with the index, and
  // contiguous blocks would leave the last worker with the heaviest share.
  std::vector<std::vector<std::uint64_t>> positions(static_cast<std::size_t>(pool));
  for (std::uint64_t first = 0, chunk = 0; first < total; first += op.chunksize, ++chunk) {
    auto& mine = positions[chunk % static_cast<std::uint64_t>(pool)];
    for (std::uint64_t p = first; p < std::min(total, first + op.chunksize); ++p) mine.push_back(p);
  }
  op.counts.assign(static_cast<std::size_t>(pool) + 1, 0);
  op.displs.assign(static_cast<std::size_t>(pool) + 1, 0);
  op.send_indices.reserve(total);
  op.slot_position.reserve(total);
  for (int w = 0; w < pool; ++w) {
    const auto& mine = positions[static_cast<std::size_t>(w)];
    op.displs[static_cast<std::size_t>(w) + 1] = static_cast<int>(op.send_indices.size());
    op.counts[static_cast<std::size_t>(w) + 1] = static_cast<int>(mine.size());
    for (auto p : mine) {
      op.send_indices.push_back(op.tasks[p]);
      op.slot_position.push_back(p);
    }
  }
  for (int w = 1; w <= pool; ++w) {
    Worker& worker = workers_[static_cast<std::size_t>(w - 1)];
    ensure_job(worker, op.job_id);
    std::uint64_t header[4] = {op.job_id, static_cast<std::uint64_t>(pool),
                               static_cast<std::uint64_t>(op.counts[static_cast<std::size_t>(w)]), 0};
    MPI_Send(header, 4, MPI_UINT64_T, w, kMap, comm_);
  }
  op.comm = pool_comm(pool);
  MPI_Iscatterv(op.send_indices.data(), op.counts.data(), op.displs.data(), MPI_UINT64_T, nullptr, 0,
                MPI_UINT64_T, 0, op.comm, &op.requests[0]);
  op.sizes.assign(static_cast<std::size_t>(pool) + 1, 0);
  MPI_Igather(&op.no_records, 1, MPI_UINT64_T, op.sizes.data(), 1, MPI_UINT64_T, 0, op.comm, &op.requests[1]);
  op.phase = MapOp::Phase::kSizes;
}

bool Engine::finish_map_phase(MapOp& op) {
  int done = 0;
  if (op.phase == MapOp::Phase::kSizes) {
    MPI_Testall(2, op.requests, &done, MPI_STATUSES_IGNORE);
    if (!done) return false;
    op.unit_counts.assign(op.sizes.size(), 0);
    op.unit_displs.assign(op.sizes.size(), 0);
    std::uint64_t offset = 0;
    for (std::size_t w = 0; w < op.sizes.size(); ++w) {
      const std::uint64_t units = op.sizes[w] / kUnitBytes;
      if (units > INT_MAX || offset > INT_MAX)
        throw RuntimeError("map results exceed " + std::to_string(INT_MAX / (1 << 24)) +
                           " GiB; use imap, which streams them");
      op.unit_counts[w] = static_cast<int>(units);
      op.unit_displs[w] = static_cast<int>(offset);
      offset += units;
    }
    op.received.assign(offset * kUnitBytes, '\0');
    MPI_Igatherv(nullptr, 0, unit_type_, op.received.data(), op.unit_counts.data(), op.unit_displs.data(),
                 unit_type_, 0, op.comm, &op.requests[0]);
    op.phase = MapOp::Phase::kData;
    return true;
  }
  MPI_Test(&op.requests[0], &done, MPI_STATUS_IGNORE);
  if (!done) return false;
  op.phase = MapOp::Phase::kDone;
  for (std::size_t w = 1; w < op.sizes.size(); ++w) {
    ByteReader reader(std::string_view(op.received).substr(
        static_cast<std::size_t>(op.unit_displs[w]) * kUnitBytes, op.sizes[w]));
    for (int i = 0; i < op.counts[w]; ++i) {
      TaskRecord record = reader.record();
      const std::uint64_t position = op.slot_position[static_cast<std::size_t>(op.displs[w] + i)];
      TaskResult result{position, record.index, static_cast<int>(w), record.ok, std::move(record.payload),
                        record.start, record.end};
      op.sink->deliver(std::move(result));
    }
  }
  return true;
}

void Engine::stop_workers(int exit_code) {
  wait_until([this] { return !busy(); });
  Backoff backoff;
  while (!job_sends_.empty()) {
    std::erase_if(job_sends_, [](boost::mpi::request& request) { return request.test().has_value(); });
    backoff.pause();
  }
  for (const Worker& worker : workers_) MPI_Send(&exit_code, 1, MPI_INT, worker.rank, kStop, comm_);
}

TaskFailure Engine::failure_of(const TaskResult& result, std::uint64_t job_id) const {
  return TaskFailure{job_name(job_id), result.index, result.rank, rank_info(result.rank).host, result.payload};
}

}  // namespace rankpool::detail
