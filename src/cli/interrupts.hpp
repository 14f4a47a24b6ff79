#pragma once
/// \file
/// Signals end a run with one line and a resumable journal: SIGINT and
/// SIGTERM stop it (exit 130 / 143), SIGUSR1 drains it for a scheduler
/// (exit 75, EX_TEMPFAIL).
///
/// What mpirun (Open MPI 4.1) does, measured: SIGUSR1 (and SIGUSR2, SIGTSTP,
/// SIGCONT) it forwards to every rank and goes on. SIGINT and SIGTERM it never
/// forwards: it sends every rank SIGCONT, a second later SIGTERM, a second
/// after that SIGKILL, and exits 1 whatever the ranks exit with. So the
/// master has about a second after its SIGTERM to print its line (the journal
/// is always flushed: one write(2) per entry); every rank handles the signals
/// here, so no worker dies of them first; a second SIGINT or SIGTERM kills at once.

#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>

#include "rankpool/errors.hpp"

namespace rankpool::cli {

/// Ends the run: thrown from the pool's wait hook or from
/// OutputJournal::finish() after a signal. what() is the line to print,
/// "interrupted: N of M tasks done; FILE.partial kept; rerun with --resume".
class Interrupted : public Error {
 public:
  Interrupted(const std::string& line, int exit_code, bool engine_idle)
      : Error(line), exit_code_(exit_code), engine_idle_(engine_idle) {}
  /// 130 (SIGINT), 143 (SIGTERM) or 75 (SIGUSR1).
  int exit_code() const noexcept override { return exit_code_; }
  /// False when tasks may still be out: the pool must not be waited on again,
  /// and the process ends without releasing the workers (the launcher ends them).
  bool engine_idle() const noexcept { return engine_idle_; }

 private:
  int exit_code_;
  bool engine_idle_;
};

/// Installs handlers for SIGINT, SIGTERM and SIGUSR1 that only note the
/// signal (async-signal-safe): on a worker always (it ignores them and goes on
/// until the master releases it or the launcher ends it), on the master once
/// arm_stop_signals() has armed a run (before that, SIGINT and SIGTERM take
/// their default action, and SIGUSR1 is noted: the run drains as soon as it
/// is armed). A second SIGINT or SIGTERM takes the default action. Call once on
/// every rank, before MPI starts.
void install_stop_signals(bool worker);

/// Under a launcher (mpirun, srun): when the launcher dies (mpirun quits at
/// a second Ctrl-C and leaves its ranks behind), this rank gets SIGTERM as if
/// the launcher had sent it: it starts nothing more, sends or journals what
/// is on its way, and ends a few seconds later at the latest (SIGALRM), as
/// nobody else would end it. Call once on every rank, after install_stop_signals.
void follow_launcher();

/// Arms the master for a run: from now on it takes note of the signals, and
/// poll_stop_signals() acts on them.
void arm_stop_signals(double drain_seconds);

/// The pool's wait hook (Pool::set_wait_hook), called on every round of its
/// waits. After SIGINT or SIGTERM it drops what is not handed out and waits
/// for what is out, at most stop_grace_seconds() (results that came in reach
/// the journal; a worker that got the signal too kills its command and says
/// so), then throws Interrupted. After SIGUSR1 it
/// calls `cancel_and_wait` once (Pool::cancel: what is not handed out is
/// dropped, what runs is waited for, its results delivered) and returns, so
/// the wait that saw the signal ends with its tasks all accounted for; if that
/// takes longer than the drain's seconds it throws Interrupted; a later wait
/// (the run's next task or phase) drains again and throws Interrupted with the
/// engine idle. With `in_wait` false (called between results, outside the
/// pool's waits: imap's loop) it never throws after SIGUSR1's drain, so the
/// results already delivered are taken first.
void poll_stop_signals(const std::function<void()>& cancel_and_wait, bool in_wait = true);

/// How long SIGINT or SIGTERM waits for the tasks out: under mpirun a
/// rank's SIGTERM is followed by SIGKILL a second later.
constexpr double stop_grace_seconds() noexcept { return 0.5; }

/// Whether a signal asked the run to stop.
bool stopping() noexcept;

/// Whether this rank noted any of SIGINT, SIGTERM or SIGUSR1 (armed or not):
/// a rank that has must start no new work.
bool any_stop_signal_seen() noexcept;

/// Held while a result is being recorded (the run's observer, on whatever
/// thread the pool delivers on) and while the signal's line counts them;
/// end_interrupted() takes it before it ends the process, so no entry is left
/// half-written and no count is read while it changes.
std::unique_lock<std::mutex> lock_results();

/// The first SIGINT or SIGTERM this rank noted (0: none), on any rank, armed
/// or not: a worker that has one is being ended and must start nothing new.
int stop_signal_seen() noexcept;

/// Throws Interrupted if a signal asked the run to stop (for code that runs
/// outside the pool's waits: the serial variant, the final write).
void throw_if_stopping();

/// What the line says: tasks done so far (the journal's count), and of how
/// many (0: not known), and the journal a rerun resumes from ("": none).
struct RunProgress {
  std::function<std::uint64_t()> done;
  std::uint64_t total = 0;
  std::string journal;
};
/// The run's progress, for the line; the journal and the command fill it.
RunProgress& run_progress();

/// A command's hold on run_progress() for one run: sets the total and, where
/// no journal counts the results, `done`; clears both when the run ends. While
/// an error unwinds, the journal's name stays for the error's line.
class RunProgressScope {
 public:
  /// `total`: the run's tasks, resumed ones included (0: not known yet).
  RunProgressScope(std::uint64_t total, std::function<std::uint64_t()> done);
  ~RunProgressScope();
  RunProgressScope(const RunProgressScope&) = delete;
  RunProgressScope& operator=(const RunProgressScope&) = delete;
};

/// Prints "rankpool: " + the line on stderr, counting the results as the run
/// left them (those recorded while it unwound too). If the engine is not idle, ends
/// the process here with the exit code (std::_Exit: nothing may wait on the
/// pool again); else returns the exit code.
int end_interrupted(const Interrupted& stop);

}  // namespace rankpool::cli
