#include "rankpool/detail/engine_core.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <iostream>

#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

namespace {

/// A waiting thread looks at its wait hook and the task timeout at least this often.
constexpr auto kWaitRound = std::chrono::milliseconds(20);

/// CPU seconds a thread has used (its clock: pthread_getcpuclockid); nothing if it cannot be read.
std::optional<double> thread_cpu_seconds(pthread_t thread) {
  clockid_t clock = 0;
  timespec now{};
  if (pthread_getcpuclockid(thread, &clock) != 0 || clock_gettime(clock, &now) != 0) return std::nullopt;
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& thrown) {
    return thrown.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

void report_callback_error(std::exception_ptr error) noexcept {
  try {
    std::cerr << "rankpool: warning: a callback threw: " << describe(error) << std::endl;
  } catch (...) {
  }
}

EngineCore::EngineCore(boost::mpi::communicator comm, const JobRegistry& registry, std::vector<RankInfo> ranks,
                       std::function<void()> initializer)
    : jobs_(registry), registry_(registry),
      engine_(std::move(comm), registry, std::move(ranks), jobs_, std::move(initializer)) {
  policy_.store(engine_.wait_policy());
  thread_ = std::thread([this] { loop(); });
}

EngineCore::~EngineCore() {
  try {
    shut_down(1, /*drop_queued=*/true, 30);
  } catch (...) {
    // A destructor must not throw; MPI_Finalize or the launcher ends the rest.
  }
  if (thread_.joinable()) thread_.detach();  // a task that never ends: the process ends without it
}

void EngineCore::post(Command command) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(command));
  }
  wake_.notify_one();
}

void EngineCore::poke() {
  {
    std::lock_guard lock(inbox_mutex_);
    poked_ = true;
  }
  wake_.notify_one();
}

void EngineCore::absorb_inbox() {
  std::vector<Command> commands;
  {
    std::lock_guard lock(inbox_mutex_);
    commands.swap(inbox_);
  }
  if (commands.empty()) return;
  for (Command& command : commands) {
    if (command.map)
      engine_.submit_map(std::move(command.call), command.blocking);
    else
      engine_.submit(std::move(command.call));
  }
  // The engine's thread may be asleep, its inbox taken from under it.
  if (std::this_thread::get_id() != thread_.get_id()) poke();
}

EngineCore::Round EngineCore::round() {
  std::lock_guard lock(mutex_);
  Round out;
  if (ended_ || broken_) return out;
  try {
    std::optional<int> stop;
    bool queued = false;
    {
      std::lock_guard inbox_lock(inbox_mutex_);
      stop = stop_code_;
      queued = !inbox_.empty();
      poked_ = false;
    }
    if (queued) absorb_inbox();
    out.moved = engine_.progress() || queued;
    if (stop && !engine_.busy()) {
      engine_.release_workers(*stop);
      engine_cpu_at_end_.store(thread_cpu_seconds(pthread_self()).value_or(0));
      ended_ = true;
      out.moved = true;
    }
    out.idle = !engine_.busy();
    out.planned = engine_.planned_sleep();
  } catch (...) {
    broken_ = std::current_exception();
    out.moved = true;
  }
  if (out.moved) changed_.notify_all();
  out.over = ended_ || broken_;
  return out;
}

void EngineCore::nap(std::optional<double> seconds) {
  std::unique_lock lock(inbox_mutex_);
  const auto woken = [this] { return !inbox_.empty() || poked_ || stop_code_.has_value(); };
  if (!seconds) {
    wake_.wait(lock, woken);
  } else {
    wake_.wait_for(lock, std::chrono::duration<double>(*seconds), woken);
  }
}

PoolStats EngineCore::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats out = engine_.stats(Clock::now());
  double cpu = engine_cpu_at_end_.load();
  // While the workers are not released the thread runs (it sets ended_ under this lock as it ends).
  if (!ended_ && thread_.joinable())
    cpu = thread_cpu_seconds(const_cast<std::thread&>(thread_).native_handle()).value_or(cpu);
  out.master_busy_fraction = out.wall_seconds > 0 ? std::min(1.0, cpu / out.wall_seconds) : 0;
  return out;
}

void EngineCore::loop() {
  // This thread's own timer slack: a short sleep stays short (nothing else changes).
  Backoff::tune_timer_slack();
  Backoff backoff;
  for (;;) {
    const Round done = round();
    if (done.over) return;
    if (done.moved) {
      backoff.reset();
      continue;
    }
    if (done.idle) {
      // Nothing is out: no message can come. Sleep until a call or the shutdown.
      nap(std::nullopt);
      backoff.reset();
    } else if (done.planned) {
      // Every worker holds enough queued work: sleep through half of the smallest queue.
      nap(*done.planned);
      backoff.reset();
    } else if (const double pause = backoff.next_pause(); pause > 0) {
      nap(pause);
    }
  }
}

void EngineCore::check_callable_here(const char* what) const {
  if (std::this_thread::get_id() == thread_.get_id())
    throw UsageError(std::string(what) +
                     " inside a callback would wait for the thread that runs it: callbacks run on the pool's own "
                     "thread; submit more work from them, or wait from your own thread");
}

void EngineCore::throw_if_broken() const {
  if (broken_) std::rethrow_exception(broken_);
  if (ended_) throw UsageError("the pool's workers have been released (finish() was called)");
}

bool EngineCore::wait_until(const std::function<bool()>& done, Deadline deadline) {
  check_callable_here("a blocking pool call");
  std::unique_lock lock(mutex_);
  for (;;) {
    if (done()) return true;
    throw_if_broken();
    const auto now = Clock::now();
    if (deadline && now >= *deadline) return false;
    try {
      engine_.check_stalls();
    } catch (const StallError&) {
      stalled_.store(true);
      throw;
    }
    // A hook or a task timeout needs a look every round; otherwise only a change or the deadline wakes it.
    if (wait_hook_ || engine_.task_timeout() > 0) {
      changed_.wait_until(lock, deadline ? std::min(now + kWaitRound, *deadline) : now + kWaitRound);
    } else if (deadline) {
      changed_.wait_until(lock, *deadline);
    } else {
      changed_.wait(lock);
    }
    if (wait_hook_) {
      const auto hook = wait_hook_;
      lock.unlock();
      hook();
      lock.lock();
    }
  }
}

void EngineCore::locked(const std::function<void()>& action) {
  std::lock_guard lock(mutex_);
  action();
}

bool EngineCore::busy(std::uint64_t owner) {
  std::lock_guard lock(mutex_);
  absorb_inbox();
  return engine_.busy(owner);
}

void EngineCore::cancel_queued(std::uint64_t owner) {
  std::lock_guard lock(mutex_);
  throw_if_broken();
  absorb_inbox();
  engine_.cancel_queued(owner);
  changed_.notify_all();
  poke();
}

void EngineCore::terminate(std::uint64_t owner) {
  std::lock_guard lock(mutex_);
  throw_if_broken();
  absorb_inbox();
  engine_.cancel_queued(owner);
  engine_.detach(owner);
  changed_.notify_all();
  poke();
}

void EngineCore::set_master_works(bool on) {
  std::lock_guard lock(mutex_);
  engine_.set_master_works(on);
}

void EngineCore::set_depth(int depth) {
  std::lock_guard lock(mutex_);
  engine_.set_depth(depth);
}

void EngineCore::set_wait_policy(WaitPolicy policy) {
  std::lock_guard lock(mutex_);
  throw_if_broken();
  engine_.set_wait_policy(policy);
  policy_.store(engine_.wait_policy());
  poke();  // messages to send
}

void EngineCore::set_trace(bool trace) {
  std::lock_guard lock(mutex_);
  engine_.set_trace(trace);
}

void EngineCore::set_task_timeout(double seconds) {
  std::lock_guard lock(mutex_);
  engine_.set_task_timeout(seconds);
}

void EngineCore::set_observer(std::function<void(const TaskResult&, const std::string& job)> observer) {
  std::lock_guard lock(mutex_);
  engine_.set_observer(std::move(observer));
}

void EngineCore::set_wait_hook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  wait_hook_ = std::move(hook);
}

void EngineCore::run_inline(const JobPtr& job, TaskSource& tasks, ResultSink& sink) {
  std::lock_guard inline_lock(inline_mutex_);
  bool trace = false;
  {
    std::lock_guard lock(mutex_);
    trace = engine_.trace();
  }
  if (!inline_) inline_ = std::make_unique<Executor>(registry_, 0, rank_host(0), rank_pid(0));
  std::erase_if(inline_jobs_, [this](const auto& entry) {
    if (!entry.second.expired()) return false;
    inline_->forget(entry.first);
    return true;
  });
  if (inline_jobs_.emplace(job->id, job).second) inline_->load(JobSpec{job->id, job->name, job->params, trace});
  std::uint64_t position = 0;
  while (!tasks.exhausted()) {
    ByteWriter task(/*framed=*/false);
    if (tasks.take(1, position, task) == 0) break;
    const std::string bytes = std::move(task).finish();
    ByteReader in(bytes, /*framed=*/false);
    const TaskList list = read_tasks(in, tasks.kind(), 1);
    // Records straight from the executor: a result is not copied through a message.
    inline_->run(job->id, list, [&](TaskRecord&& record) {
      TaskResult result = result_of(std::move(record), position, 0);
      std::lock_guard lock(mutex_);
      engine_.observe(result, job->name);
      sink.deliver(std::move(result));
    });
    ++position;
  }
  if (tasks.error())
    sink.fail(tasks.error(), position);
  else
    sink.set_total(position);
}

void EngineCore::report_waiting() const {
  for (const auto& [rank, index] : engine_.running_tasks())
    std::cerr << "rankpool: finishing: waiting for task " << index << " on rank " << rank << " ("
              << engine_.rank_info(rank).host << ")" << std::endl;
}

bool EngineCore::shut_down(int exit_code, bool drop_queued, double grace_seconds) {
  if (!thread_.joinable()) return true;
  check_callable_here("finish()");
  {
    std::unique_lock lock(mutex_);
    if (!broken_ && !ended_) {
      absorb_inbox();
      if (drop_queued || stalled_.load()) {
        engine_.cancel_queued();
        engine_.detach();
      }
    }
    {
      std::lock_guard inbox_lock(inbox_mutex_);
      stop_code_ = exit_code;
    }
    wake_.notify_one();
    // Bounded once what is left belongs to terminated calls (or the end drops the rest).
    std::optional<Clock::time_point> give_up;
    auto next_report = Clock::now() + std::chrono::seconds(5);
    while (!ended_ && !broken_) {
      const auto now = Clock::now();
      if (!give_up && (drop_queued || stalled_.load() || engine_.only_terminated_out()))
        give_up = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(grace_seconds));
      if (give_up && now >= *give_up) {
        report_waiting();
        return false;
      }
      if (now >= next_report) {
        report_waiting();
        next_report = now + std::chrono::seconds(30);
      }
      // Woken by every round that moves something; a timed wait, to notice the bound starting.
      changed_.wait_until(lock,
                          std::min({give_up.value_or(next_report), next_report, now + std::chrono::milliseconds(100)}));
    }
  }
  thread_.join();
  return !broken_;
}

}  // namespace rankpool::detail
