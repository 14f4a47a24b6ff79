// The engine's map: one scatter of every task (a collective), chunks dealt
// zig-zag, results back point-to-point as each worker's tasks finish.
#include <algorithm>
#include <climits>

#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/engine_parts.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

void Engine::submit_map(CallRequest call, bool blocking) {
  if (call.tasks->exhausted() || call.pool_size == 0) {
    submit(std::move(call));
    return;
  }
  auto op = std::make_shared<MapOp>(std::move(call));
  op->blocking = blocking && policy_ == WaitPolicy::kBlock;
  maps_.push_back(std::move(op));
}

bool Engine::progress_maps() {
  // Collectives on one communicator must be posted in the same order on every
  // rank, and a worker finishes one map before it reads the next: so do we.
  MapOp& op = *maps_.front();
  if (op.phase == MapOp::Phase::kQueued) {
    start_map(maps_.front());
    if (op.phase == MapOp::Phase::kQueued) {  // its input failed: nothing went out
      maps_.pop_front();
      return true;
    }
  } else {
    int done = 0;
    check_mpi(MPI_Test(&op.request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (!done) return false;
    op.phase = MapOp::Phase::kDone;
  }
  if (op.phase == MapOp::Phase::kDone) {
    std::string().swap(op.scattered);
    maps_.pop_front();
  }
  return true;
}

namespace {

/// Sets each worker's count and displacement in 64-byte units from its bytes.
void lay_out(std::vector<int>& send_counts, std::vector<int>& send_displs, const std::vector<std::uint64_t>& bytes) {
  send_counts.assign(bytes.size() + 1, 0);
  send_displs.assign(bytes.size() + 1, 0);
  std::uint64_t units = 0;
  for (std::size_t w = 0; w < bytes.size(); ++w) {
    const std::uint64_t share_units = (bytes[w] + kUnitBytes - 1) / kUnitBytes;
    if (share_units > INT_MAX || units > INT_MAX)
      throw RuntimeError("map arguments exceed 128 GiB per worker; use imap, which streams them");
    send_counts[w + 1] = static_cast<int>(share_units);
    send_displs[w + 1] = static_cast<int>(units);
    units += share_units;
  }
}

}  // namespace

std::uint64_t Engine::deal_indices(MapOp& op, std::uint64_t total, std::uint64_t deal,
                                   std::vector<std::uint64_t>& counts) {
  // Index tasks are 8 bytes each: place every chunk straight into the
  // scatter buffer, which is then the only copy of the tasks.
  const std::size_t workers = counts.size();
  for (std::uint64_t first = 0, chunk = 0; first < total; first += deal, ++chunk)
    counts[zigzag_worker(chunk, workers)] += std::min(deal, total - first);
  std::vector<std::uint64_t> bytes(workers);
  for (std::size_t w = 0; w < workers; ++w) bytes[w] = counts[w] * sizeof(std::uint64_t);
  lay_out(op.send_counts, op.send_displs, bytes);
  op.scattered.assign(static_cast<std::size_t>(op.send_displs[workers] + op.send_counts[workers]) * kUnitBytes, '\0');
  std::vector<std::size_t> at(workers);
  for (std::size_t w = 0; w < workers; ++w) at[w] = static_cast<std::size_t>(op.send_displs[w + 1]) * kUnitBytes;
  std::uint64_t position = 0;
  for (std::uint64_t chunk = 0; position < total; ++chunk) {
    const std::size_t w = zigzag_worker(chunk, workers);
    ByteWriter part(/*framed=*/false);
    const std::uint64_t count = op.tasks->take(std::min(deal, total - position), position, part);
    const std::string bytes_of = std::move(part).finish();
    if (op.tasks->error()) return position;
    if (count == 0 || at[w] + bytes_of.size() > op.scattered.size())
      throw RuntimeError("map: the tasks changed while they were dealt");
    bytes_of.copy(op.scattered.data() + at[w], bytes_of.size());
    at[w] += bytes_of.size();
    position += count;
  }
  return position;
}

std::uint64_t Engine::deal_tasks(MapOp& op, std::uint64_t limit, std::uint64_t deal,
                                 std::vector<std::uint64_t>& counts) {
  const std::size_t workers = counts.size();
  std::vector<ByteWriter> shares(workers, ByteWriter(/*framed=*/false));
  std::uint64_t position = 0;
  for (std::uint64_t chunk = 0; position < limit && !op.tasks->exhausted(); ++chunk) {
    const std::size_t w = zigzag_worker(chunk, workers);
    const std::uint64_t want = std::min(deal, limit - position);
    const std::uint64_t count = op.tasks->take(want, position, shares[w]);
    counts[w] += count;
    position += count;
    if (count < want) break;
  }
  std::vector<std::uint64_t> bytes(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    shares[w].pad_to_units();
    bytes[w] = shares[w].size();
  }
  lay_out(op.send_counts, op.send_displs, bytes);
  std::uint64_t all = 0;
  for (std::uint64_t size : bytes) all += size;
  op.scattered.reserve(all);
  for (auto& share : shares) op.scattered += std::move(share).finish();
  return position;
}

void Engine::announce_shares(const std::shared_ptr<MapOp>& shared, const std::vector<std::uint64_t>& counts,
                             std::uint64_t deal) {
  MapOp& op = *shared;
  const int pool = op.pool_size;
  const std::size_t workers = counts.size();
  const std::optional<double> estimate = per_task(op.job->id);
  for (std::size_t w = 0; w < workers; ++w) {
    Slot& slot = slots_[w + 1];
    ensure_job(slot, *op.job);
    const std::uint64_t chunk_id = next_chunk_++;
    ByteWriter header;
    write(header,
          MapHeader{op.job->id, static_cast<std::uint64_t>(pool), counts[w],
                    static_cast<std::uint64_t>(op.send_counts[w + 1]), op.tasks->kind(), chunk_id, deal, op.blocking});
    send(slot, kMap, std::move(header).finish());
    if (counts[w] == 0) continue;
    // The worker's share is one chunk whose results come a few at a time.
    Chunk share;
    share.map = shared;
    share.cursor.emplace(w, workers, deal);
    share.job_id = op.job->id;
    share.left = counts[w];
    share.slot = w + 1;
    share.owner = op.owner;
    share.estimated = estimate.has_value();
    share.per_task = estimate.value_or(0);
    const auto share_at = static_cast<std::size_t>(op.send_displs[w + 1]) * kUnitBytes;
    add_chunk(chunk_id, std::move(share), first_task_index(std::string_view(op.scattered).substr(share_at)),
              Clock::now());
  }
}

void Engine::start_map(const std::shared_ptr<MapOp>& shared) {
  MapOp& op = *shared;
  // A worker still running a task may be waiting on the master (a RateBudget
  // lease): a blocking scatter would never see it join.
  if (remote_chunks_ > 0) op.blocking = false;
  const int pool = op.pool_size;
  const auto workers = static_cast<std::size_t>(pool);
  const std::uint64_t deal = op.chunksize > 0 ? op.chunksize : auto_map_chunk(op.tasks->remaining(), workers);
  // Deal chunks zig-zag: task cost often drifts along the list, and a cyclic
  // deal would give the last worker the costlier chunk of every round.
  // The last eighth of a sized list goes out dynamically, as workers run low.
  std::vector<std::uint64_t> counts(workers, 0);
  const std::optional<std::uint64_t> total = op.tasks->remaining();
  // When the master works too, its share goes out dynamically with the tail: every rank draws on it.
  const std::uint64_t master_share = total && master_works_ ? *total / (workers + 1) : 0;
  const std::uint64_t tail = total ? std::min(*total, map_tail(*total, workers) + master_share) : 0;
  const std::uint64_t dealt = total && op.tasks->kind() == ArgKind::kIndex
                                  ? deal_indices(op, *total - tail, deal, counts)
                                  : deal_tasks(op, total ? *total - tail : UINT64_MAX, deal, counts);
  if (op.tasks->error()) {
    // Reading the input failed: nothing has gone out, and the call ends with the error.
    op.sink->fail(op.tasks->error(), dealt);
    return;
  }
  op.sink->set_total(tail > 0 ? *total : dealt);
  announce_shares(shared, counts, deal);
  if (tail > 0) {
    auto rest = std::make_shared<Batch>(
        CallRequest{op.job, std::move(op.tasks), op.chunksize, op.sink, op.owner, op.pool_size});
    rest->next = dealt;
    rest->sized = true;
    queued_known_ += tail;
    queue_.push_back(std::move(rest));
  }
  MPI_Comm comm = collectives_.pool(pool);
  if (op.blocking) {
    // A synchronous map under WaitPolicy::kBlock: the blocking collective.
    check_mpi(MPI_Scatterv(op.scattered.data(), op.send_counts.data(), op.send_displs.data(), collectives_.unit(),
                           nullptr, 0, collectives_.unit(), 0, comm),
              "MPI_Scatterv");
    op.phase = MapOp::Phase::kDone;
    return;
  }
  check_mpi(MPI_Iscatterv(op.scattered.data(), op.send_counts.data(), op.send_displs.data(), collectives_.unit(),
                          nullptr, 0, collectives_.unit(), 0, comm, &op.request),
            "MPI_Iscatterv");
  op.phase = MapOp::Phase::kScatter;
}

}  // namespace rankpool::detail
