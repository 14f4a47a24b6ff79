#include "exec/child_process.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "exec/child_guard.hpp"
#include "exec/child_spawn.hpp"
#include "exec/child_wait.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::exec {

namespace {

std::string ending_text(int signal_number) {
  return signal_number > 0 ? "this rank got signal " + std::to_string(signal_number)
                           : std::string("the run is stopping");
}

}  // namespace

ChildResult run_child(const ChildRequest& request, ChildEnvironment& environment) {
  install_group_guard();
  // After a signal nothing new starts (the rank's own note covers one that came before the guard).
  if (const int signal_number = ending_signal_seen())
    throw RuntimeError("exec: not started: " + ending_text(signal_number) + " (the run is ending)");
  const bool capture = request.stdout_path.empty();
  Pipe out, err;
  if (capture) {
    out = make_pipe();
    err = make_pipe();
  } else {
    out.write = open_output(request.stdout_path);
    err.write = open_output(request.stderr_path);
  }

  SpawnActions spawn;
  spawn.set_descriptors(out.write.get(), err.write.get());
  spawn.set_attributes();

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = spawn.spawn(request.command, environment.envp());
  set_running_group(pid);
  // A handler that ran before the store missed this one.
  const bool ending_at_start = ending_signal_seen() > 0;
  if (ending_at_start) kill(-pid, SIGKILL);
  out.write.reset();
  err.write.reset();
  // A pidfd makes the child's exit one more thing to poll (Linux 5.3+);
  // without one, poll wakes every 10 ms to ask.
  Fd exit_fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));

  ChildResult result;
  try {
    wait_for(pid, exit_fd, out, err, request, start, result);
  } catch (...) {
    // Never leave a command running, or a zombie, behind an error.
    kill(-pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    set_running_group(0);
    throw;
  }

  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  set_running_group(0);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.exit_code = reaped == pid ? exit_code_of(status) : 255;
  // Killed because this rank is ending: it did not finish, and runs again on --resume. So is a command
  // that a drain's SIGUSR1 reached while it was being started (still in the rank's process group, which
  // the launcher signals, before its shell's trap): it never ran.
  const int killed_by = reaped == pid && WIFSIGNALED(status) && !result.timed_out ? WTERMSIG(status) : 0;
  if ((killed_by == SIGKILL && (ending_at_start || ending_signal_seen() > 0)) ||
      (killed_by == SIGUSR1 && ending_signal_seen() != 0))
    throw RuntimeError("exec: killed: " + ending_text(ending_signal_seen()) + " (the run is ending)");
  return result;
}

}  // namespace rankpool::exec
