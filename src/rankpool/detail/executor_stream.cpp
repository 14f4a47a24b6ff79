// The executor's streaming run: a job that holds several tasks at once
// (TaskRunner::concurrency > 1) takes each task as its message arrives.
#include <deque>
#include <functional>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "rankpool/detail/clock.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/trace_line.hpp"

namespace rankpool::detail {

namespace {

/// The tasks of one job's kTasks messages as the job's TaskStream: records
/// kept per message, sent back as a kResults when its last task finishes.
class Feed final : public TaskStream<std::string> {
 public:
  using Trace = std::function<void(const char* event, std::uint64_t index, double seconds)>;
  Feed(std::uint64_t job_id, StreamPort& port, Trace trace) : job_id_(job_id), port_(port), trace_(std::move(trace)) {}

  /// Queues the tasks of a kTasks message of this job.
  void add(std::string_view message) {
    ByteReader in(message);
    const ChunkHeader header = read_chunk_header(in);
    const TaskList tasks = read_tasks(in, header.kind, header.count);
    Chunk& chunk = chunks_[header.chunk_id];
    chunk.records.resize(tasks.size());
    chunk.left = tasks.size();
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      chunk.records[i].index = tasks.indices[i];
      queued_.push_back({header.chunk_id, i});
    }
    if (tasks.size() == 0) send(header.chunk_id);
  }

  std::optional<StreamTask> next() override {
    if (queued_.empty()) pull();
    if (queued_.empty()) return std::nullopt;
    const Place place = queued_.front();
    queued_.pop_front();
    TaskRecord& record = chunks_.at(place.chunk).records[place.position];
    record.start = wall_seconds();
    if (trace_) trace_("start", record.index, -1);
    const std::uint64_t ticket = next_ticket_++;
    running_.emplace(ticket, place);
    return StreamTask{ticket, record.index};
  }

  void finish(std::uint64_t ticket, Outcome<std::string> outcome) override {
    auto found = running_.find(ticket);
    if (found == running_.end())
      throw std::logic_error("TaskStream::finish: no task has ticket " + std::to_string(ticket));
    const Place place = found->second;
    running_.erase(found);
    Chunk& chunk = chunks_.at(place.chunk);
    TaskRecord& record = chunk.records[place.position];
    record.end = wall_seconds();
    record.ok = outcome.value.has_value();
    record.payload = record.ok ? std::move(*outcome.value) : std::move(outcome.error);
    if (trace_) trace_(record.ok ? "finish" : "fail", record.index, record.end - record.start);
    if (--chunk.left == 0) send(place.chunk);
  }

  /// Fails every task the job did not finish (it threw, or returned early).
  void fail_rest(const std::string& error, const std::string& type) {
    while (!running_.empty()) fail(running_.begin()->first, error, type);
    while (auto task = next_queued()) fail(task->ticket, error, type);
  }

 private:
  struct Place {
    std::uint64_t chunk = 0;
    std::size_t position = 0;
  };
  struct Chunk {
    std::vector<TaskRecord> records;
    std::size_t left = 0;
  };

  // Takes the next kTasks of this job that has arrived; any other message
  // ends the taking (it and what follows it wait for the stream to end).
  void pull() {
    while (!stopped_) {
      auto message = port_.poll();
      if (!message) return;
      if (message->first == kTasks) {
        ByteReader in(message->second);
        if (read_chunk_header(in).job_id == job_id_) {
          add(message->second);
          return;
        }
      }
      port_.defer(message->first, std::move(message->second));
      stopped_ = true;
    }
  }

  std::optional<StreamTask> next_queued() {
    if (queued_.empty()) return std::nullopt;
    stopped_ = true;  // nothing more is taken while failing
    return next();
  }

  void fail(std::uint64_t ticket, const std::string& error, const std::string& type) {
    const Place place = running_.at(ticket);
    chunks_.at(place.chunk).records[place.position].error_type = type;
    finish(ticket, Outcome<std::string>{std::nullopt, error});
  }

  void send(std::uint64_t chunk_id) {
    Chunk& chunk = chunks_.at(chunk_id);
    ByteWriter out;
    write(out, ResultsHeader{chunk_id, chunk.records.size()});
    for (const TaskRecord& record : chunk.records) write(out, record);
    chunks_.erase(chunk_id);
    port_.send(std::move(out).finish());
  }

  std::uint64_t job_id_;
  StreamPort& port_;
  Trace trace_;
  std::map<std::uint64_t, Chunk> chunks_;
  std::deque<Place> queued_;
  std::unordered_map<std::uint64_t, Place> running_;
  std::uint64_t next_ticket_ = 1;
  bool stopped_ = false;
};

}  // namespace

bool Executor::streams(std::string_view tasks_message) const {
  ByteReader in(tasks_message);
  const ChunkHeader header = read_chunk_header(in);
  auto found = jobs_.find(header.job_id);
  return header.kind == ArgKind::kIndex && found != jobs_.end() && found->second.load_error.empty() &&
         found->second.concurrency > 1;
}

void Executor::stream(std::string_view tasks_message, StreamPort& port) {
  ByteReader in(tasks_message);
  const std::uint64_t job_id = read_chunk_header(in).job_id;
  LoadedJob& job = *use(job_id);
  Feed::Trace trace;
  if (job.trace)
    trace = [this, &job](const char* event, std::uint64_t index, double seconds) {
      this->trace(job, event, index, seconds);
    };
  Feed feed(job_id, port, std::move(trace));
  feed.add(tasks_message);
  TaskRecord failure;
  run_guarded(failure, [&] {
    if (!job.runner) throw std::runtime_error(job.load_error);  // rebuilding a dropped job failed
    job.runner->run_stream(feed);
    return std::string("the job's run_stream returned before it finished the task");
  });
  feed.fail_rest(failure.payload, failure.ok ? "std::logic_error" : failure.error_type);
}

}  // namespace rankpool::detail
