#include "cli/interrupts.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>

namespace rankpool::cli {

namespace {

// Set by the handlers, read by the master between waits: lock-free atomics
// are all a handler may touch.
std::atomic<int> g_stop_signal{0};  // the first SIGINT or SIGTERM
std::atomic<bool> g_drain{false};   // SIGUSR1 seen
// kIdleMaster: a master outside a run takes each signal's default action, as
// if nothing were installed. kWorker and kArmedMaster take note instead.
enum Role : int { kIdleMaster, kWorker, kArmedMaster };
std::atomic<int> g_role{kIdleMaster};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

void take_default_action(int signal) {
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(signal, &fallback, nullptr);
  raise(signal);
}

// The launcher that started this rank (0: none). A rank whose launcher is
// gone has nobody to end it: at the first stop signal it sets an alarm that
// ends it a few seconds later, time enough to send (worker) or journal
// (master) a result that is on its way.
std::atomic<pid_t> g_launcher{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);
constexpr unsigned kOrphanSeconds = 3;

bool launcher_gone() noexcept { return g_launcher.load() > 0 && getppid() != g_launcher.load(); }

extern "C" void note_stop_signal(int signal) {
  if (signal != SIGUSR1 && launcher_gone()) alarm(kOrphanSeconds);
  // A drain asked for while the master reads its input: the run, once armed, drains at once.
  if (g_role.load() == kIdleMaster && signal == SIGUSR1) {
    g_drain.store(true);
    return;
  }
  if (g_role.load() == kIdleMaster) {
    take_default_action(signal);
    return;
  }
  if (signal == SIGUSR1) {
    g_drain.store(true);
    return;
  }
  int none = 0;
  if (g_stop_signal.compare_exchange_strong(none, signal)) return;
  // A second SIGINT or SIGTERM: the user means it, now.
  take_default_action(signal);
}

/// The master's side: the pool to drain and where the drain stands.
struct StopState {
  double drain_seconds = 60;
  bool draining = false;      // inside the drain's own wait
  bool drained = false;       // the drain is over: the next wait ends the run
  bool stopped = false;       // SIGINT or SIGTERM: the grace for what was out is over
  bool stopped_idle = false;  // ... and everything came back
  bool disarmed = false;      // the run has ended: waits go on undisturbed
  std::chrono::steady_clock::time_point deadline;
};

StopState& state() {
  static StopState stop;
  return stop;
}

std::mutex& results_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The caller holds lock_results().
std::string line_text() {
  const RunProgress& progress = run_progress();
  std::string line = "interrupted: " + std::to_string(progress.done ? progress.done() : 0);
  if (progress.total > 0) line += " of " + std::to_string(progress.total);
  line += " tasks done; ";
  if (progress.journal.empty())
    line += "nothing kept (only --out FILE keeps results for --resume)";
  else
    line += progress.journal + " kept; rerun with --resume";
  return line;
}

std::string line_now() {
  const auto lock = lock_results();
  return line_text();
}

int exit_code_of(int signal) { return 128 + signal; }

constexpr int kDrainExitCode = 75;  // EX_TEMPFAIL: try again later

}  // namespace

namespace {

std::chrono::steady_clock::time_point seconds_from_now(double seconds) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

/// Runs `cancel_and_wait` as the drain's own wait (the hook, called inside
/// it, only watches the deadline). False if it threw Interrupted at the deadline.
bool wait_inside_drain(StopState& stop, const std::function<void()>& cancel_and_wait) {
  stop.draining = true;
  try {
    cancel_and_wait();
  } catch (const Interrupted&) {
    stop.draining = false;
    return false;
  } catch (...) {
    stop.draining = false;
    throw;
  }
  stop.draining = false;
  return true;
}

}  // namespace

void poll_stop_signals(const std::function<void()>& cancel_and_wait, bool in_wait) {
  StopState& stop = state();
  if (stop.disarmed) return;
  if (stop.draining) {
    // SIGINT or SIGTERM during a drain: the drain gets no more than the stop's grace.
    if (g_stop_signal.load()) stop.deadline = std::min(stop.deadline, seconds_from_now(stop_grace_seconds()));
    if (std::chrono::steady_clock::now() >= stop.deadline)
      throw Interrupted(line_now(), g_stop_signal.load() ? exit_code_of(g_stop_signal.load()) : kDrainExitCode, false);
    return;
  }
  if (const int signal = g_stop_signal.load()) {
    // Nothing new is handed out; what is out has a moment to come back, so a
    // command that finished just now is journaled, not run again. Once only:
    // under mpirun SIGKILL follows a second after SIGTERM.
    if (!stop.stopped) {
      stop.deadline = seconds_from_now(stop_grace_seconds());
      stop.stopped_idle = wait_inside_drain(stop, cancel_and_wait);
      stop.stopped = true;
    }
    throw Interrupted(line_now(), exit_code_of(signal), stop.stopped_idle);
  }
  if (!g_drain.load()) return;
  // Drop what is not handed out (the run's results see it as cancelled, not
  // failed) and wait here for what runs: its results reach the journal. The
  // wait that saw the signal then ends as its tasks are all accounted for; a
  // later wait (the run's next task or phase) is the end of the run. Between
  // waits, the results already in take their turn.
  const bool again = stop.drained;
  if (again && !in_wait) return;
  if (!again) stop.deadline = seconds_from_now(stop.drain_seconds);
  if (!wait_inside_drain(stop, cancel_and_wait)) throw Interrupted(line_now(), kDrainExitCode, false);
  stop.drained = true;
  if (again) throw Interrupted(line_now(), kDrainExitCode, true);
}

void install_stop_signals(bool worker) {
  g_role.store(worker ? kWorker : kIdleMaster);
  struct sigaction action {};
  action.sa_handler = &note_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal : {SIGINT, SIGTERM, SIGUSR1}) sigaction(signal, &action, nullptr);
}

void follow_launcher() {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr && std::getenv("PMIX_RANK") == nullptr &&
      std::getenv("PMI_RANK") == nullptr)
    return;
  const pid_t launcher = getppid();
  g_launcher.store(launcher);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != launcher) raise(SIGTERM);  // it died before the line above
}

void arm_stop_signals(double drain_seconds) {
  StopState& stop = state();
  stop.drain_seconds = drain_seconds;
  stop.disarmed = false;
  g_role.store(kArmedMaster);
}

bool stopping() noexcept { return !state().disarmed && (g_stop_signal.load() != 0 || g_drain.load()); }

int stop_signal_seen() noexcept { return g_stop_signal.load(); }

bool any_stop_signal_seen() noexcept { return g_stop_signal.load() != 0 || g_drain.load(); }

std::unique_lock<std::mutex> lock_results() { return std::unique_lock<std::mutex>(results_mutex()); }

void throw_if_stopping() {
  if (state().disarmed) return;
  if (const int signal = g_stop_signal.load()) throw Interrupted(line_now(), exit_code_of(signal), true);
  if (g_drain.load()) throw Interrupted(line_now(), kDrainExitCode, true);
}

RunProgress& run_progress() {
  static RunProgress progress;
  return progress;
}

RunProgressScope::RunProgressScope(std::uint64_t total, std::function<std::uint64_t()> done) {
  RunProgress& progress = run_progress();
  progress.total = total;
  if (!progress.done) progress.done = std::move(done);  // a journal counts its own (resumed entries too)
}

RunProgressScope::~RunProgressScope() {
  const auto lock = lock_results();
  // While an error unwinds, its line may still name the journal; `done` points
  // into the command's frame: the count it has now is the one the line says.
  if (std::uncaught_exceptions() == 0) {
    run_progress() = {};
  } else {
    RunProgress& progress = run_progress();
    const std::uint64_t done = progress.done ? progress.done() : 0;
    progress.done = [done] { return done; };
  }
}

int end_interrupted(const Interrupted& stop) {
  state().disarmed = true;
  std::cout.flush();
  // The count as the run left it (results that came in while it unwound
  // included), not as it was when the signal was seen.
  const auto lock = lock_results();
  const std::string line = run_progress().total > 0 || run_progress().done ? line_text() : stop.what();
  std::cerr << "rankpool: " << line << std::endl;
  // A result being recorded on the pool's thread was written whole first.
  // Without a launcher nothing may wait on the others: MPI's end needs it.
  if (!stop.engine_idle() || launcher_gone()) std::_Exit(stop.exit_code());
  return stop.exit_code();
}

}  // namespace rankpool::cli
