#include "exec/child_wait.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "rankpool/errors.hpp"

namespace rankpool::exec {

namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int error) { return std::strerror(error); }

/// One read of what is there: keeps up to `cap` bytes in `kept`, counts them
/// all; closes `fd` at EOF. One read per wake-up, never a loop: a second read
/// of an empty pipe would block while the command waits on the other one.
void drain(Fd& fd, std::string& kept, std::uint64_t& total, std::size_t cap) {
  char buffer[65536];
  ssize_t got;
  do {
    got = ::read(fd.get(), buffer, sizeof buffer);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    fd.reset();
    return;
  }
  total += static_cast<std::uint64_t>(got);
  if (kept.size() < cap) kept.append(buffer, std::min(static_cast<std::size_t>(got), cap - kept.size()));
}

int milliseconds_until(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, 1 << 30));  // poll's int; ~12 days, then again
}

}  // namespace

void wait_for(pid_t pid, const Fd& exit_fd, Pipe& out, Pipe& err, const ChildRequest& request, Clock::time_point start,
              ChildResult& result) {
  const bool limited = request.timeout_seconds > 0;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(limited ? request.timeout_seconds : 0));
  Clock::time_point kill_at{};
  Clock::time_point give_up_at{};
  bool terminated = false;
  bool killed = false;
  bool exited = false;

  while (!exited || out.read || err.read) {
    std::array<pollfd, 3> fds{};
    nfds_t count = 0;
    int out_slot = -1, err_slot = -1, exit_slot = -1;
    if (out.read) fds[out_slot = static_cast<int>(count++)] = {out.read.get(), POLLIN, 0};
    if (err.read) fds[err_slot = static_cast<int>(count++)] = {err.read.get(), POLLIN, 0};
    if (!exited && exit_fd) fds[exit_slot = static_cast<int>(count++)] = {exit_fd.get(), POLLIN, 0};

    Clock::time_point now = Clock::now();
    int wait_ms = -1;
    auto until = [&](Clock::time_point when) {
      const int ms = milliseconds_until(when, now);
      wait_ms = wait_ms < 0 ? ms : std::min(wait_ms, ms);
    };
    if (limited && !terminated) until(deadline);
    if (terminated && !killed) until(kill_at);
    if (killed) until(give_up_at);
    if (!exited && !exit_fd) until(now + std::chrono::milliseconds(10));

    const int ready = poll(fds.data(), count, wait_ms);
    if (ready < 0 && errno != EINTR) throw RuntimeError("exec: poll: " + errno_text(errno));
    if (ready > 0) {
      if (out_slot >= 0 && fds[out_slot].revents)
        drain(out.read, result.stdout_text, result.stdout_bytes, request.capture_bytes);
      if (err_slot >= 0 && fds[err_slot].revents)
        drain(err.read, result.stderr_text, result.stderr_bytes, request.capture_bytes);
      if (exit_slot >= 0 && fds[exit_slot].revents) exited = true;
    }
    if (!exited && !exit_fd) {
      siginfo_t info{};
      exited = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
    }

    now = Clock::now();
    if (limited && !terminated && now >= deadline) {
      result.timed_out = true;
      terminated = true;
      kill(-pid, SIGTERM);
      kill_at =
          now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(request.kill_grace_seconds));
    }
    if (terminated && !killed && now >= kill_at) {
      killed = true;
      kill(-pid, SIGKILL);
      give_up_at = now + std::chrono::seconds(1);
    }
    // Something that left the group (setsid) may hold the pipes for ever.
    if (killed && exited && now >= give_up_at) break;
  }
  // The leader is not reaped yet, so its group id still names only its group:
  // whatever of a timed-out command ignored SIGTERM goes now.
  if (terminated) kill(-pid, SIGKILL);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace rankpool::exec
