#include "cli/interrupts.hpp"

#include <csignal>

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

extern "C" void note_stop_signal(int signal) {
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
  bool draining = false;  // inside the drain's own wait
  bool drained = false;   // the drain is over: the next wait ends the run
  bool disarmed = false;  // the run has ended: waits go on undisturbed
  std::chrono::steady_clock::time_point deadline;
};

StopState& state() {
  static StopState stop;
  return stop;
}

std::string line_now() {
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

int exit_code_of(int signal) { return 128 + signal; }

constexpr int kDrainExitCode = 75;  // EX_TEMPFAIL: try again later

}  // namespace

void poll_stop_signals(const std::function<void()>& cancel_and_wait, bool in_wait) {
  StopState& stop = state();
  if (stop.disarmed) return;
  if (const int signal = g_stop_signal.load()) throw Interrupted(line_now(), exit_code_of(signal), false);
  if (!g_drain.load()) return;
  if (stop.draining) {
    if (std::chrono::steady_clock::now() >= stop.deadline) throw Interrupted(line_now(), kDrainExitCode, false);
    return;
  }
  // Drop what is not handed out (the run's results see it as cancelled, not
  // failed) and wait here for what runs: its results reach the journal. The
  // wait that saw the signal then ends as its tasks are all accounted for; a
  // later wait (the run's next task or phase) is the end of the run. Between
  // waits, the results already in take their turn.
  const bool again = stop.drained;
  if (again && !in_wait) return;
  if (!again)
    stop.deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(stop.drain_seconds));
  stop.draining = true;
  try {
    cancel_and_wait();
  } catch (...) {
    stop.draining = false;
    throw;
  }
  stop.draining = false;
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

void arm_stop_signals(double drain_seconds) {
  StopState& stop = state();
  stop.drain_seconds = drain_seconds;
  stop.disarmed = false;
  g_role.store(kArmedMaster);
}

bool stopping() noexcept { return !state().disarmed && (g_stop_signal.load() != 0 || g_drain.load()); }

int stop_signal_seen() noexcept { return g_stop_signal.load(); }

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
  // While an error unwinds, its line may still name the journal; `done` points into the command's frame.
  if (std::uncaught_exceptions() == 0)
    run_progress() = {};
  else
    run_progress().done = nullptr;
}

int end_interrupted(const Interrupted& stop) {
  state().disarmed = true;
  std::cout.flush();
  std::cerr << "rankpool: " << stop.what() << std::endl;
  if (!stop.engine_idle()) std::_Exit(stop.exit_code());
  return stop.exit_code();
}

}  // namespace rankpool::cli
