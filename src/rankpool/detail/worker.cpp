#include "rankpool/detail/worker.hpp"

#include <unistd.h>

#include <vector>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

namespace {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

}  // namespace

Worker::Worker(MPI_Comm comm, const JobRegistry& registry, std::string host)
    : comm_(comm), rank_(rank_of(comm)), executor_(registry, rank_, std::move(host), static_cast<long>(getpid())),
      outbox_(comm), collectives_(comm, static_cast<int>(kUnitBytes)) {}

int Worker::serve() {
  Backoff backoff;
  for (;;) {
    int flag = 0;
    MPI_Message matched;
    MPI_Status status;
    MPI_Improbe(0, MPI_ANY_TAG, comm_, &flag, &matched, &status);
    // A probe matches before it progresses: ask twice before sleeping.
    if (!flag) MPI_Improbe(0, MPI_ANY_TAG, comm_, &flag, &matched, &status);
    if (!flag) {
      if (!outbox_.empty()) outbox_.reap();
      backoff.pause();
      continue;
    }
    backoff.reset();
    const int tag = status.MPI_TAG;
    const std::string message = receive_matched(comm_, matched, status);
    switch (tag) {
      case kMap:
        run_map(message);
        break;
      case kStop:
        outbox_.drain();
        return decode_value<int>(message);
      default:
        if (std::string reply = executor_.handle(tag, message); !reply.empty()) {
          outbox_.reap();
          outbox_.post(0, kResults, std::move(reply));
        }
        break;
    }
  }
}

void Worker::run_map(std::string_view message) {
  ByteReader in(message);
  const MapHeader header = read_map_header(in);
  MPI_Comm comm = collectives_.pool(static_cast<int>(header.pool_size));
  MPI_Datatype unit = collectives_.unit();

  std::string scattered(header.units * kUnitBytes, '\0');
  MPI_Request request;
  MPI_Iscatterv(nullptr, nullptr, nullptr, unit, scattered.data(), static_cast<int>(header.units), unit, 0,
                comm, &request);
  wait_with_backoff(request);

  ByteReader tasks_in(scattered, /*framed=*/false);
  const TaskList tasks = read_tasks(tasks_in, header.kind, header.count);
  ByteWriter records(/*framed=*/false);
  executor_.run(header.job_id, tasks, records);
  records.pad_to_units();
  std::string bytes = std::move(records).finish();
  std::uint64_t size = bytes.size();
  MPI_Igather(&size, 1, MPI_UINT64_T, nullptr, 1, MPI_UINT64_T, 0, comm, &request);
  wait_with_backoff(request);
  MPI_Igatherv(bytes.data(), static_cast<int>(bytes.size() / kUnitBytes), unit, nullptr, nullptr, nullptr,
               unit, 0, comm, &request);
  wait_with_backoff(request);
}

}  // namespace rankpool::detail
