#include "rankpool/detail/child_runner.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <exception>

#include "rankpool/detail/clock.hpp"
#include "rankpool/detail/spawned_child.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::detail {

namespace {

TaskRecord failed(std::uint64_t index, std::string message) {
  const double now = wall_seconds();
  return TaskRecord{index, false, now, now, std::move(message), {}};
}

}  // namespace

Isolation isolation_from_environment() {
  const char* text = std::getenv("RANKPOOL_ISOLATE");
  if (text == nullptr || *text == '\0') return {};
  const std::string_view word(text);
  int tasks = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), tasks);
  if (error != std::errc() || end != word.data() + word.size() || tasks < 0)
    throw UsageError("RANKPOOL_ISOLATE must be a whole number of tasks per child from 0 up (0: never replaced), not '" +
                     std::string(word) + "'");
  return Isolation{true, tasks};
}

ChildRunner::ChildRunner(int rank, Isolation isolation) : rank_(rank), isolation_(isolation) {}

ChildRunner::~ChildRunner() = default;

pid_t ChildRunner::child_pid() const noexcept { return child_ ? child_->pid() : 0; }

std::string ChildRunner::handle(int tag, std::string_view message, std::string buffer) {
  switch (tag) {
    case kJob:
      load(message);
      return {};
    case kForget:
      forget(message);
      return {};
    case kTasks: {
      ByteReader in(message);
      return answer_tasks(
          in, std::move(buffer),
          [this](const ChunkHeader& chunk, const TaskList& tasks, ByteWriter& out) { run(chunk.job_id, tasks, out); });
    }
    default:
      return {};
  }
}

void ChildRunner::load(std::string_view job_message) {
  ByteReader in(job_message);
  const std::uint64_t id = read_job(in).id;
  jobs_[id] = std::string(job_message);
  concurrent_.erase(id);
  if (!child_) return;
  // Its answer is read when a task needs the child: the child loads the job meanwhile.
  if (child_->send(kJob, job_message))
    unanswered_.push_back(id);
  else
    lose_child();
}

void ChildRunner::forget(std::string_view forget_message) {
  const auto id = decode_value<std::uint64_t>(forget_message);
  jobs_.erase(id);
  concurrent_.erase(id);
  if (child_ && !child_->send(kForget, forget_message)) lose_child();
}

void ChildRunner::start_child() {
  child_ = std::make_unique<SpawnedChild>(rank_);
  tasks_in_child_ = 0;
  unanswered_.clear();
  for (const auto& [id, message] : jobs_) {
    if (!child_->send(kJob, message)) return;  // settle() finds it gone
    unanswered_.push_back(id);
  }
}

bool ChildRunner::settle() {
  for (std::size_t i = 0; i < unanswered_.size(); ++i) {
    auto answer = child_->receive();
    if (!answer) return false;
    concurrent_[unanswered_[i]] = decode_value<std::uint8_t>(*answer) != 0;
  }
  unanswered_.clear();
  return true;
}

bool ChildRunner::ensure_child(std::string& why) {
  try {
    if (!child_) start_child();
  } catch (const std::exception& error) {
    child_.reset();
    why = error.what();
    return false;
  }
  if (settle()) return true;
  why = "the worker's child process died while it started or loaded the jobs: " + lose_child();
  return false;
}

std::string ChildRunner::lose_child() {
  std::string end = child_->reap();
  child_.reset();
  unanswered_.clear();
  return end;
}

void ChildRunner::retire_child() {
  child_.reset();  // closes its pipe, kills and reaps it
  try {
    start_child();  // the fresh child starts up while the worker waits for work
  } catch (const std::exception&) {
    child_.reset();  // the next message tries again and fails its tasks with the reason
  }
}

bool ChildRunner::runs_many(std::uint64_t job_id) {
  std::string why;
  if (!ensure_child(why)) return false;
  auto found = concurrent_.find(job_id);
  return found != concurrent_.end() && found->second;
}

void ChildRunner::run(std::uint64_t job_id, const TaskList& tasks, ByteWriter& out) {
  std::size_t done = 0;
  bool retried = false;
  while (done < tasks.size()) {
    std::string why;
    if (!ensure_child(why)) {
      for (; done < tasks.size(); ++done) write(out, failed(tasks.indices[done], why));
      return;
    }
    std::size_t count = tasks.size() - done;
    if (isolation_.max_tasks_per_child > 0)
      count = std::min(count, static_cast<std::size_t>(isolation_.max_tasks_per_child - tasks_in_child_));
    const std::optional<std::size_t> got = run_slice(job_id, tasks, done, count, out);
    if (!got) {
      // It was gone before it took them (killed while idle): a fresh one runs them, once.
      const std::string end = lose_child();
      if (!retried) {
        retried = true;
        continue;
      }
      for (; done < tasks.size(); ++done)
        write(out, failed(tasks.indices[done], "the worker's child process ended before it took a task: " + end));
      return;
    }
    if (*got == count) {
      done += count;
      tasks_in_child_ += static_cast<int>(count);
      if (isolation_.max_tasks_per_child > 0 && tasks_in_child_ >= isolation_.max_tasks_per_child) retire_child();
      continue;
    }
    const bool together = concurrent_.count(job_id) != 0 && concurrent_.at(job_id);
    const std::string end = lose_child();
    if (together) {
      // The tasks ran at once: the one that killed the child cannot be told apart.
      for (std::size_t i = done + *got; i < done + count; ++i) {
        const std::string index = std::to_string(tasks.indices[i]);
        write(out,
              failed(tasks.indices[i],
                     "task " + index + " (or a task running beside it) killed the worker's child process: " + end));
      }
      done += count;
    } else {
      // One at a time: the first task without a record killed it; those after it never started.
      const std::uint64_t culprit = tasks.indices[done + *got];
      write(out, failed(culprit, "task " + std::to_string(culprit) + " killed the worker's child process: " + end));
      done += *got + 1;
    }
    retire_child();
  }
}

std::optional<std::size_t> ChildRunner::run_slice(std::uint64_t job_id, const TaskList& tasks, std::size_t first,
                                                  std::size_t count, ByteWriter& out) {
  ByteWriter message;
  write(message, ChunkHeader{job_id, 0, count, tasks.kind});
  for (std::size_t i = first; i < first + count; ++i)
    write_task(message, tasks.kind, tasks.indices[i],
               tasks.kind == ArgKind::kTyped ? tasks.args[i] : std::string_view{});
  if (!child_->send(kTasks, std::move(message).finish())) return std::nullopt;
  std::size_t got = 0;
  while (got < count) {
    auto results = child_->receive();
    if (!results) break;
    ByteReader in(*results);
    const ResultsHeader header = read_results_header(in);
    for (std::uint64_t i = 0; i < header.count; ++i) write(out, read_record(in));
    got += header.count;
  }
  return got;
}

}  // namespace rankpool::detail
