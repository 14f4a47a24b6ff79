#pragma once
/// \file
/// RateBudget: one budget of requests a second for a whole run, shared by
/// every rank that draws on it, whichever ranks happen to be busy.

#include <string>

namespace rankpool {

/// A run-wide budget of `per_second` slots a second, known by its name: all
/// processes of a session that acquire from a budget of one name share one
/// timeline of slots spaced 1.05/per_second apart (5 % for jitter), so a
/// server that counts the requests made at those slots sees at most
/// `per_second` in any second.
///
///     rankpool::RateBudget budget("api.example.com", 10.0);  // in the job, on any rank
///     budget.acquire();  // before each request: waits for this process's next slot
///
/// Where the slots come from:
/// - on a worker, the master leases it slices of the timeline (about a
///   quarter of a second of slots at a time, the next asked for before the
///   current one runs out), so a request costs no round trip; the master
///   answers leases in every wait of the pool, whatever else it does;
/// - on the master (its stand-in worker thread, Pool::serial) or with no
///   session at all, the process takes slots from the timeline itself.
///
/// Slices given to different workers never overlap, and between them the
/// master leaves a short gap (kLeaseGuardSeconds) for the time a lease
/// takes to arrive. A slot not taken within a fifth of a spacing (and 10 ms)
/// of its time is lost (a busy worker does not bunch its late requests together). So a
/// budget is a ceiling: workers that hold slots they do not use leave the
/// run below it.
///
/// acquire() blocks (it sleeps); call it from the thread that runs the task.
class RateBudget {
 public:
  /// Throws UsageError unless `per_second` is finite and > 0 and `name` is not empty.
  RateBudget(std::string name, double per_second);

  /// Waits for this process's next slot of the budget.
  void acquire() const;

  const std::string& name() const noexcept { return name_; }
  double per_second() const noexcept { return per_second_; }

 private:
  std::string name_;
  double per_second_;
};

/// Gap the master leaves between slices of one budget leased to different
/// ranks: covers its answering a lease up to this late.
inline constexpr double kLeaseGuardSeconds = 0.025;

}  // namespace rankpool
