#include "rankpool/detail/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/clock.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/detail/protocol.hpp"
#include "rankpool/detail/schedule.hpp"

namespace rankpool::detail {

namespace {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  return rank;
}

/// A map's results go back every kChunkSeconds of work, and at least every
/// this many results or bytes, so the master never holds a large message of them.
constexpr std::size_t kMapMessageRecords = 4096;
constexpr std::size_t kMapMessageBytes = std::size_t{16} << 20;

/// Tasks [first, first + count) of `tasks`.
TaskList slice(const TaskList& tasks, std::size_t first, std::size_t count) {
  TaskList part;
  part.kind = tasks.kind;
  part.indices.assign(tasks.indices.begin() + static_cast<std::ptrdiff_t>(first),
                      tasks.indices.begin() + static_cast<std::ptrdiff_t>(first + count));
  if (tasks.kind == ArgKind::kTyped)
    part.args.assign(tasks.args.begin() + static_cast<std::ptrdiff_t>(first),
                     tasks.args.begin() + static_cast<std::ptrdiff_t>(first + count));
  return part;
}

}  // namespace

Worker::Worker(MPI_Comm comm, const JobRegistry& registry, std::string host, Isolation isolation)
    : comm_(comm), rank_(rank_of(comm)), executor_(registry, rank_, std::move(host), static_cast<long>(getpid())),
      outbox_(comm), collectives_(comm, static_cast<int>(kUnitBytes)), leases_(comm),
      stops_([this] { look_for_cancels(); }) {
  if (isolation.enabled) child_.emplace(rank_, isolation);
  executor_.use_stop_board(&stops_);
  leases_.serialize_with(&stops_.look_mutex());
  set_lease_client(&leases_);
}

Worker::~Worker() { set_lease_client(nullptr); }

/// A streaming run's view of the worker: its messages and its outbox.
class Worker::Port final : public StreamPort {
 public:
  explicit Port(Worker& worker) : worker_(worker) {}
  std::optional<std::pair<int, std::string>> poll() override { return worker_.poll_message(); }
  void defer(int tag, std::string message) override { worker_.deferred_.emplace(tag, std::move(message)); }
  void send(std::string message) override {
    worker_.outbox_.reap();
    worker_.outbox_.post(0, kResults, std::move(message));
  }

 private:
  Worker& worker_;
};

bool Worker::take_aside(int tag, std::string_view message) {
  switch (tag) {
    case kGrant:  // maybe asked for by a task that has ended: its slots serve the next
      leases_.take_grant(message);
      return true;
    case kWait:
      block_ = decode_value<std::uint8_t>(message) != 0;
      return true;
    case kCancel:
      stops_.take(message);
      return true;
    default:
      return false;
  }
}

std::optional<std::pair<int, std::string>> Worker::receive_if_here(int tag) {
  int flag = 0;
  MPI_Message matched;
  MPI_Status status;
  check_mpi(MPI_Improbe(0, tag, comm_, &flag, &matched, &status), "MPI_Improbe");
  // A probe matches before it progresses: ask twice.
  if (!flag) check_mpi(MPI_Improbe(0, tag, comm_, &flag, &matched, &status), "MPI_Improbe");
  if (!flag) return std::nullopt;
  return std::pair{status.MPI_TAG, receive_matched(comm_, matched, status)};
}

std::optional<std::pair<int, std::string>> Worker::poll_message() {
  while (auto message = receive_if_here(MPI_ANY_TAG))
    if (!take_aside(message->first, message->second)) return message;
  return std::nullopt;
}

void Worker::look_for_cancels() {
  while (auto message = receive_if_here(kCancel)) stops_.take(message->second);
}

std::pair<int, std::string> Worker::next_message() {
  if (deferred_) {
    auto message = std::move(*deferred_);
    deferred_.reset();
    return message;
  }
  // Under either policy an idle worker polls, then sleeps: a blocking
  // MPI_Mprobe would spin its core for as long as the master computes.
  Backoff backoff = Backoff::for_policy(block_ ? WaitPolicy::kBlock : WaitPolicy::kBackoff);
  for (;;) {
    if (auto message = poll_message()) return std::move(*message);
    if (!outbox_.empty()) outbox_.reap();
    backoff.pause();
  }
}

int Worker::serve() {
  for (;;) {
    auto [tag, message] = next_message();
    switch (tag) {
      case kMap:
        run_map(message);
        break;
      case kStop:
        outbox_.drain();
        leases_.drain();
        return decode_value<int>(message);
      case kTasks:
        if (!child_ && executor_.streams(message)) {
          Port port(*this);
          executor_.stream(message, port);
          break;
        }
        [[fallthrough]];
      default:
        if (std::string reply = handle(tag, message); !reply.empty()) {
          outbox_.reap();
          outbox_.post(0, kResults, std::move(reply));
        }
        break;
    }
  }
}

std::string Worker::handle(int tag, std::string_view message) {
  std::string buffer = tag == kTasks ? outbox_.spare() : std::string();
  return child_ ? child_->handle(tag, message, std::move(buffer)) : executor_.handle(tag, message, std::move(buffer));
}

bool Worker::runs_many(std::uint64_t job_id) {
  return child_ ? child_->runs_many(job_id) : executor_.runs_many(job_id);
}

void Worker::run(std::uint64_t job_id, const TaskList& tasks, ByteWriter& out) {
  if (child_)
    child_->run(job_id, tasks, out);
  else
    executor_.run(job_id, tasks, out);
}

void Worker::wait(MPI_Request& request) {
  wait_with_backoff(request, Backoff::for_policy(block_ ? WaitPolicy::kBlock : WaitPolicy::kBackoff));
}

void Worker::run_map(std::string_view message) {
  ByteReader in(message);
  const MapHeader header = read_map_header(in);
  MPI_Comm comm = collectives_.pool(static_cast<int>(header.pool_size));
  MPI_Datatype unit = collectives_.unit();

  std::string scattered(header.units * kUnitBytes, '\0');
  if (header.blocking) {
    check_mpi(
        MPI_Scatterv(nullptr, nullptr, nullptr, unit, scattered.data(), static_cast<int>(header.units), unit, 0, comm),
        "MPI_Scatterv");
  } else {
    MPI_Request request;
    check_mpi(MPI_Iscatterv(nullptr, nullptr, nullptr, unit, scattered.data(), static_cast<int>(header.units), unit, 0,
                            comm, &request),
              "MPI_Iscatterv");
    wait(request);
  }
  if (header.count == 0) return;

  ByteReader tasks_in(scattered, /*framed=*/false);
  const TaskList tasks = read_tasks(tasks_in, header.kind, header.count);
  // Run the share a dealt chunk at a time (all at once for a job that
  // overlaps its tasks) and send the results as they come, a message per
  // kChunkSeconds of work or so: no tail of results after the last task.
  const std::size_t step =
      runs_many(header.job_id) ? tasks.size() : static_cast<std::size_t>(std::max<std::uint64_t>(header.deal, 1));
  std::size_t sent = 0;
  ByteWriter out(outbox_.spare());
  write(out, ResultsHeader{header.chunk_id, 0});
  double since = wall_seconds();
  stops_.begin(header.chunk_id);
  for (std::size_t done = 0; done < tasks.size();) {
    const std::size_t count = std::min(step, tasks.size() - done);
    if (stops_.stopped()) {  // terminated: the rest is answered unrun
      for (std::size_t i = done; i < done + count; ++i) write(out, cancelled_record(tasks.indices[i]));
    } else {
      run(header.job_id, count == tasks.size() ? tasks : slice(tasks, done, count), out);
    }
    done += count;
    const double now = wall_seconds();
    if (done < tasks.size() && now - since < kChunkSeconds && done - sent < kMapMessageRecords &&
        out.size() < kMapMessageBytes)
      continue;
    out.patch(kFrameBytes + sizeof(std::uint64_t), static_cast<std::uint64_t>(done - sent));
    outbox_.reap();
    outbox_.post(0, kResults, std::move(out).finish());
    out = ByteWriter(outbox_.spare());
    write(out, ResultsHeader{header.chunk_id, 0});
    sent = done;
    since = now;
  }
  stops_.end();
}

}  // namespace rankpool::detail
