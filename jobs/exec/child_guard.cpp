#include "exec/child_guard.hpp"

#include <signal.h>

#include <array>
#include <atomic>
#include <mutex>

namespace rankpool::exec {

namespace {

// A command sits in its own process group, so the signals that end this rank
// would not reach it: the handler kills the group, then lets the signal take
// its previous course. SIGKILL cannot be caught; a scheduler's cgroup covers that.
std::atomic<pid_t> running_group{0};
// A worker notes SIGTERM and goes on until the launcher's SIGKILL a second
// later: a command started in that second would outlive it. Once an ending
// signal came, no command starts, and one spawned as it came is killed.
std::atomic<int> ending_signal{0};
std::atomic<bool (*)() noexcept> stop_probe{nullptr};
constexpr std::array<int, 3> kEndingSignals{SIGTERM, SIGINT, SIGHUP};
struct sigaction previous_actions[kEndingSignals.size()];

void kill_group_and_reraise(int signal_number) {
  ending_signal.store(signal_number);
  const pid_t group = running_group.load();
  if (group > 0) kill(-group, SIGKILL);
  for (std::size_t i = 0; i < kEndingSignals.size(); ++i)
    if (kEndingSignals[i] == signal_number) sigaction(signal_number, &previous_actions[i], nullptr);
  raise(signal_number);
}

}  // namespace

void install_group_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (std::size_t i = 0; i < kEndingSignals.size(); ++i) {
      sigaction(kEndingSignals[i], nullptr, &previous_actions[i]);
      // An ignored signal (nohup's SIGHUP) does not end us: leave it ignored.
      if (!(previous_actions[i].sa_flags & SA_SIGINFO) && previous_actions[i].sa_handler == SIG_IGN) continue;
      struct sigaction action {};
      action.sa_handler = kill_group_and_reraise;
      sigemptyset(&action.sa_mask);
      action.sa_flags = SA_RESTART;
      sigaction(kEndingSignals[i], &action, nullptr);
    }
  });
}

void set_stop_probe(bool (*probe)() noexcept) noexcept { stop_probe.store(probe); }

int ending_signal_seen() noexcept {
  if (const int signal_number = ending_signal.load()) return signal_number;
  const auto probe = stop_probe.load();
  return probe != nullptr && probe() ? -1 : 0;
}

void set_running_group(pid_t group) noexcept { running_group.store(group); }

}  // namespace rankpool::exec
