#include "rankpool/detail/worker.hpp"

#include <unistd.h>

#include <boost/mpi/communicator.hpp>
#include <exception>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/clock.hpp"
#include "rankpool/detail/pool_comm.hpp"
#include "rankpool/detail/protocol.hpp"
#include "rankpool/detail/trace_line.hpp"

namespace rankpool::detail {

Worker::Worker(MPI_Comm comm, const JobRegistry& registry, std::string host)
    : comm_(comm), registry_(registry), host_(std::move(host)), pid_(static_cast<long>(getpid())) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Type_contiguous(static_cast<int>(kUnitBytes), MPI_BYTE, &unit_type_);
  MPI_Type_commit(&unit_type_);
}

Worker::~Worker() {
  for (auto& [size, comm] : pool_comms_) MPI_Comm_free(&comm);
  if (unit_type_ != MPI_DATATYPE_NULL) MPI_Type_free(&unit_type_);
}

int Worker::serve() {
  Backoff backoff;
  for (;;) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(0, MPI_ANY_TAG, comm_, &flag, &status);
    // A probe matches before it progresses: ask twice before sleeping.
    if (!flag) MPI_Iprobe(0, MPI_ANY_TAG, comm_, &flag, &status);
    if (!flag) {
      if (!sends_.empty()) reap_sends(false);
      backoff.pause();
      continue;
    }
    backoff.reset();
    switch (status.MPI_TAG) {
      case kJob:
        receive_job();
        break;
      case kTasks: {
        int count = 0;
        MPI_Get_count(&status, MPI_UINT64_T, &count);
        run_chunk(count);
        break;
      }
      case kMap:
        run_map();
        break;
      case kStop: {
        int code = 0;
        MPI_Recv(&code, 1, MPI_INT, 0, kStop, comm_, MPI_STATUS_IGNORE);
        reap_sends(true);
        return code;
      }
      default: {
        // An unknown tag means a protocol bug; drop it rather than hang.
        MPI_Recv(nullptr, 0, MPI_BYTE, 0, status.MPI_TAG, comm_, MPI_STATUS_IGNORE);
        break;
      }
    }
  }
}

void Worker::receive_job() {
  boost::mpi::communicator comm(comm_, boost::mpi::comm_attach);
  JobSpec spec;
  comm.recv(0, kJob, spec);
  LoadedJob job;
  job.name = spec.name;
  job.trace = spec.trace;
  try {
    job.runner = registry_.make(spec.name, spec.params);
  } catch (const std::exception& error) {
    job.load_error = "cannot load job: " + std::string(error.what());
  }
  jobs_[spec.id] = std::move(job);
}

void Worker::run_chunk(int count) {
  std::vector<std::uint64_t> message(static_cast<std::size_t>(count));
  MPI_Recv(message.data(), count, MPI_UINT64_T, 0, kTasks, comm_, MPI_STATUS_IGNORE);
  const std::uint64_t job_id = message.at(0);
  const std::uint64_t chunk_id = message.at(1);
  const std::uint64_t tasks = message.at(2);
  std::string out;
  append_value<std::uint64_t>(out, chunk_id);
  append_value<std::uint64_t>(out, tasks);
  run_into(job_id, message.data() + 3, tasks, out);
  send_results(std::move(out));
}

void Worker::run_into(std::uint64_t job_id, const std::uint64_t* indices, std::size_t count,
                      std::string& out) {
  auto found = jobs_.find(job_id);
  LoadedJob* job = found == jobs_.end() ? nullptr : &found->second;
  if (job && job->runner && job->runner->runs_many() && count > 1) {
    run_many_into(*job, indices, count, out);
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    TaskRecord record;
    record.index = indices[i];
    record.start = wall_seconds();
    if (!job) {
      record.ok = false;
      record.payload = "job " + std::to_string(job_id) + " was never sent to this worker";
    } else if (!job->runner) {
      record.ok = false;
      record.payload = job->load_error;
    } else {
      if (job->trace) trace_line(*job, "start", record.index, -1);
      try {
        record.payload = job->runner->run(record.index);
      } catch (const std::exception& error) {
        record.ok = false;
        record.payload = error.what();
      } catch (...) {
        record.ok = false;
        record.payload = "unknown exception";
      }
    }
    record.end = wall_seconds();
    if (job && job->trace) trace_line(*job, record.ok ? "finish" : "fail", record.index, record.end - record.start);
    append_record(out, record);
  }
}

void Worker::run_many_into(LoadedJob& job, const std::uint64_t* indices, std::size_t count, std::string& out) {
  const double start = wall_seconds();
  if (job.trace)
    for (std::size_t i = 0; i < count; ++i) trace_line(job, "start", indices[i], -1);
  std::vector<Outcome<std::string>> outcomes;
  std::string failure;
  try {
    outcomes = job.runner->run_many(std::span<const std::uint64_t>(indices, count));
    if (outcomes.size() != count) failure = "run_many returned " + std::to_string(outcomes.size()) + " outcomes";
  } catch (const std::exception& error) {
    failure = error.what();
  } catch (...) {
    failure = "unknown exception";
  }
  const double end = wall_seconds();
  for (std::size_t i = 0; i < count; ++i) {
    TaskRecord record{indices[i], true, start, end, {}};
    if (!failure.empty()) {
      record.ok = false;
      record.payload = failure;
    } else if (outcomes[i].value) {
      record.payload = std::move(*outcomes[i].value);
    } else {
      record.ok = false;
      record.payload = std::move(outcomes[i].error);
    }
    if (job.trace) trace_line(job, record.ok ? "finish" : "fail", record.index, end - start);
    append_record(out, record);
  }
}

void Worker::trace_line(const LoadedJob& job, const char* event, std::uint64_t index, double seconds) const {
  print_trace_line(rank_, host_, pid_, event, job.name, index, seconds);
}

void Worker::send_results(std::string buffer) {
  reap_sends(false);
  auto send = std::make_unique<PendingSend>();
  send->buffer = std::move(buffer);
  MPI_Isend(send->buffer.data(), static_cast<int>(send->buffer.size()), MPI_BYTE, 0, kResults, comm_,
            &send->request);
  sends_.push_back(std::move(send));
}

void Worker::reap_sends(bool wait_all) {
  std::erase_if(sends_, [&](std::unique_ptr<PendingSend>& send) {
    if (wait_all) {
      wait(send->request);
      return true;
    }
    int done = 0;
    MPI_Test(&send->request, &done, MPI_STATUS_IGNORE);
    return done != 0;
  });
}

void Worker::wait(MPI_Request& request) {
  Backoff backoff;
  for (;;) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    backoff.pause();
  }
}

MPI_Comm Worker::pool_comm(int pool_size) {
  auto found = pool_comms_.find(pool_size);
  if (found != pool_comms_.end()) return found->second;
  MPI_Comm comm = make_pool_comm(comm_, pool_size);
  pool_comms_[pool_size] = comm;
  return comm;
}

void Worker::run_map() {
  std::uint64_t header[4];
  MPI_Recv(header, 4, MPI_UINT64_T, 0, kMap, comm_, MPI_STATUS_IGNORE);
  const std::uint64_t job_id = header[0];
  const int pool_size = static_cast<int>(header[1]);
  const std::uint64_t count = header[2];
  MPI_Comm comm = pool_comm(pool_size);

  std::vector<std::uint64_t> indices(count);
  MPI_Request request;
  MPI_Iscatterv(nullptr, nullptr, nullptr, MPI_UINT64_T, indices.data(), static_cast<int>(count), MPI_UINT64_T,
                0, comm, &request);
  wait(request);

  std::string records;
  run_into(job_id, indices.data(), indices.size(), records);
  records.resize((records.size() + kUnitBytes - 1) / kUnitBytes * kUnitBytes, '\0');
  std::uint64_t bytes = records.size();
  MPI_Igather(&bytes, 1, MPI_UINT64_T, nullptr, 1, MPI_UINT64_T, 0, comm, &request);
  wait(request);
  MPI_Igatherv(records.data(), static_cast<int>(records.size() / kUnitBytes), unit_type_, nullptr, nullptr,
               nullptr, unit_type_, 0, comm, &request);
  wait(request);
}

}  // namespace rankpool::detail
