#include "rankpool/detail/executor.hpp"

#include "rankpool/detail/crash_report.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "rankpool/detail/clock.hpp"
#include "rankpool/detail/trace_line.hpp"

namespace rankpool::detail {

std::string current_exception_type() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return {};
  int status = 0;
  char* readable = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string out = status == 0 && readable ? readable : type->name();
  std::free(readable);
  return out;
}

std::string current_exception_type_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (...) {
    return current_exception_type();
  }
}

Executor::Executor(const JobRegistry& registry, int rank, std::string host, long pid)
    : registry_(registry), rank_(rank), host_(std::move(host)), pid_(pid) {}

void Executor::load(const JobSpec& spec) {
  forget(spec.id);
  LoadedJob& job = jobs_[spec.id];
  job.name = spec.name;
  job.params = spec.params;
  job.trace = spec.trace;
  build(spec.id, job);
}

void Executor::forget(std::uint64_t job_id) {
  jobs_.erase(job_id);
  std::erase(kept_, job_id);
}

void Executor::build(std::uint64_t job_id, LoadedJob& job) {
  // Room first, so at most kJobValuesKept set-up jobs exist at once.
  while (kept_.size() >= kJobValuesKept) {
    jobs_.at(kept_.front()).runner.reset();
    kept_.erase(kept_.begin());
  }
  try {
    job.runner = registry_.make(job.name, job.params);
  } catch (const std::exception& error) {
    job.load_error = "cannot load job: " + std::string(error.what());
    return;
  }
  job.runs_many = job.runner->runs_many();
  job.concurrency = job.runner->concurrency();
  kept_.push_back(job_id);
}

Executor::LoadedJob* Executor::use(std::uint64_t job_id) {
  auto found = jobs_.find(job_id);
  if (found == jobs_.end()) return nullptr;
  LoadedJob& job = found->second;
  if (!job.runner) {
    if (job.load_error.empty()) build(job_id, job);
  } else if (kept_.back() != job_id) {
    std::erase(kept_, job_id);
    kept_.push_back(job_id);
  }
  return &job;
}

std::string Executor::handle(int tag, std::string_view message, std::string buffer) {
  ByteReader in(message);
  switch (tag) {
    case kJob:
      load(read_job(in));
      return {};
    case kForget:
      forget(in.value<std::uint64_t>());
      return {};
    case kTasks:
      return answer_tasks(in, std::move(buffer),
                          [this](const ChunkHeader& chunk, const TaskList& tasks, ByteWriter& out) {
                            if (stops_) stops_->begin(chunk.chunk_id);
                            run(chunk.job_id, tasks, out);
                            if (stops_) stops_->end();
                          });
    default:
      return {};
  }
}

void Executor::run(std::uint64_t job_id, const TaskList& tasks, ByteWriter& out) {
  run(job_id, tasks, [&out](TaskRecord&& record) { write(out, record); });
}

void Executor::run(std::uint64_t job_id, const TaskList& tasks, const std::function<void(TaskRecord&&)>& emit) {
  LoadedJob* job = use(job_id);
  if (job && job->runner && job->runs_many && tasks.kind == ArgKind::kIndex && tasks.size() > 1) {
    run_many(*job, tasks, emit);
    return;
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (stops_ && stops_->stopped()) {
      emit(cancelled_record(tasks.indices[i]));
      continue;
    }
    TaskRecord record;
    record.index = tasks.indices[i];
    record.start = wall_seconds();
    if (!job) {
      record.ok = false;
      record.payload = "job " + std::to_string(job_id) + " was never sent to this worker";
    } else if (!job->runner) {
      record.ok = false;
      record.payload = job->load_error;
    } else {
      if (job->trace) trace(*job, "start", record.index, -1);
      const std::string_view arg = tasks.kind == ArgKind::kTyped ? tasks.args[i] : std::string_view{};
      const RunningTask running(job->name.c_str(), record.index);
      if (stops_ && job->runner->takes_stop_token()) {
        const std::stop_token stop = stops_->token();
        stops_->task_begins();
        run_guarded(record, [&] { return job->runner->run(record.index, arg, stop); });
        stops_->task_ends();
      } else {
        run_guarded(record, [&] { return job->runner->run(record.index, arg); });
      }
    }
    record.end = wall_seconds();
    if (job && job->trace) trace(*job, record.ok ? "finish" : "fail", record.index, record.end - record.start);
    emit(std::move(record));
  }
}

void Executor::run_many(LoadedJob& job, const TaskList& tasks, const std::function<void(TaskRecord&&)>& emit) {
  const double start = wall_seconds();
  if (job.trace)
    for (std::uint64_t index : tasks.indices) trace(job, "start", index, -1);
  std::vector<Outcome<std::string>> outcomes;
  TaskRecord failure;
  const RunningTask running(job.name.c_str(), tasks.indices.front());
  run_guarded(failure, [&] {
    outcomes = job.runner->run_many(tasks.indices);
    if (outcomes.size() != tasks.size())
      throw std::length_error("run_many returned " + std::to_string(outcomes.size()) + " outcomes for " +
                              std::to_string(tasks.size()) + " tasks");
    return std::string();
  });
  const double end = wall_seconds();
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    TaskRecord record{tasks.indices[i], true, start, end, {}, {}};
    if (!failure.ok) {
      record.ok = false;
      record.payload = failure.payload;
      record.error_type = failure.error_type;
    } else if (outcomes[i].value) {
      record.payload = std::move(*outcomes[i].value);
    } else {
      record.ok = false;
      record.payload = std::move(outcomes[i].error);
    }
    if (job.trace) trace(job, record.ok ? "finish" : "fail", record.index, end - start);
    emit(std::move(record));
  }
}

TaskRecord cancelled_record(std::uint64_t index) {
  const double now = wall_seconds();
  return TaskRecord{index, false, now, now, "not run: its call was terminated", "rankpool::Cancelled"};
}

void Executor::trace(const LoadedJob& job, const char* event, std::uint64_t index, double seconds) const {
  print_trace_line(rank_, host_, pid_, event, job.name, index, seconds);
}

}  // namespace rankpool::detail
