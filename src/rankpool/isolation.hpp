#pragma once
/// \file
/// Isolation: each worker runs its tasks in a child process of its own.

namespace rankpool {

/// Whether a worker runs its tasks in a child process, and how long a child serves.
///
/// When enabled, each worker rank starts a child process of the same program
/// (the program is started again, with its original arguments, and becomes a
/// child as soon as it constructs its Session: code in `main` before the
/// Session runs in each child too). The rank hands the child its tasks over
/// pipes and sends the results on to the master.
///
/// Use it for tasks that may crash or leak:
/// - a task that segfaults, aborts or calls `exit` costs one child, not the
///   run: that task fails with a RemoteError naming it and the signal or exit
///   code ("task 5 killed the worker's child process: signal 11 (SIGSEGV)"),
///   and a fresh child runs the worker's other tasks;
/// - with `max_tasks_per_child` N (Python's `maxtasksperchild`), a child is
///   replaced after N tasks, so the memory its tasks leaked goes back to the
///   system.
///
/// Its cost: a few pipe messages per task (the child sends each task's result
/// as it finishes, so a crash loses no finished result), and a process start
/// plus each job's parameters loaded again whenever a child is replaced.
/// hpc/bench/RESULTS.md has the measured figures. A job's `setup()` runs once
/// per child. A job that runs several tasks at once (`run_many`, `run_stream`)
/// runs them together in the child; if the child dies then, each of those
/// tasks fails, since the one that killed it cannot be told apart. A child
/// runs at most `max_tasks_per_child` tasks of a chunk at once.
///
/// Not covered: at one rank (no workers) tasks run on a thread of the master,
/// not in a child; a RateBudget acquired in a child paces that child alone,
/// not the whole run.
struct Isolation {
  /// Runs tasks in child processes; off: tasks run in the worker rank itself.
  bool enabled = false;
  /// Tasks one child runs before it is replaced by a fresh one; 0: never replaced.
  int max_tasks_per_child = 0;
};

}  // namespace rankpool
