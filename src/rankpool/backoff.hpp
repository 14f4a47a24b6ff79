#pragma once
/// \file
/// Backoff and WaitPolicy: how rankpool waits.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rankpool {

/// How ranks wait for messages (`--wait`, Pool::set_wait_policy, or the
/// environment variable `RANKPOOL_WAIT` read when the session starts).
///
/// - `kBlock`: where every rank has a core of its own (the cluster case),
///   waits poll for a short spell (~1 ms) before they sleep, and the
///   synchronous `map` scatters with the blocking `MPI_Scatterv`: a polling
///   rank answers at once, and an idle one leaves its core alone.
/// - `kBackoff`: where ranks outnumber cores (`mpirun --oversubscribe` on a
///   laptop), waits poll with Backoff and every collective is nonblocking, so
///   an idle rank leaves the cores to the workers.
/// - `kAuto` (the default): kBlock if on every host the ranks there are no
///   more than the CPUs they may run on, else kBackoff.
enum class WaitPolicy { kAuto, kBlock, kBackoff };

/// Sleeps `seconds` (nanosleep; nothing for zero or less).
void sleep_seconds(double seconds) noexcept;

/// "auto", "block", "backoff"; nothing for any other word.
std::optional<WaitPolicy> parse_wait_policy(std::string_view word) noexcept;
/// The word parse_wait_policy takes.
const char* wait_policy_name(WaitPolicy policy) noexcept;

/// Polls a few rounds, then sleeps; each sleep is at most an eighth of the
/// time already spent idle, and at most `cap_us`. So waking late costs at
/// most ~12 % of an idle spell, a short wait stays short, and a long one
/// settles at one wake-up per `cap_us` (10 ms: an idle rank costs ~0.2 % of
/// a core, where 1 ms cost 1-2 % on a VM). Call reset() when something
/// happened and pause() when nothing did.
///
/// Why not block in MPI: a blocking wait in Open MPI spins a core, which on a
/// laptop with more ranks than cores steals the workers' CPU. Why not a fixed
/// sleep: 1 ms per wait costs ~0.5 ms latency per task.
class Backoff {
 public:
  explicit Backoff(int spins = 64, std::int64_t cap_us = 10000) noexcept : spins_(spins), cap_us_(cap_us) { reset(); }
  /// How a rank waits under `policy`: kBlock polls a longer spell first
  /// (kBlockSpins probes, ~1 ms), so a rank with a core of its own answers
  /// the next message at once, then sleeps as kBackoff does: no rank spins
  /// for longer than the spell while it has nothing to do.
  static Backoff for_policy(WaitPolicy policy) noexcept {
    return policy == WaitPolicy::kBlock ? Backoff(kBlockSpins) : Backoff();
  }
  static constexpr int kBlockSpins = 4096;
  void reset() noexcept {
    polls_ = 0;
    idle_since_ = std::chrono::steady_clock::now();
  }
  /// One idle round: returns at once while polling, else sleeps.
  void pause() noexcept { sleep_seconds(next_pause()); }
  /// One idle round, for a caller that sleeps its own way: 0 while polling,
  /// else the seconds pause() would sleep.
  double next_pause() noexcept;

  /// Lowers the calling thread's timer slack so a 1 µs sleep is not 50+ µs
  /// (Linux; per thread). Returns the slack it had, for restore_timer_slack.
  static unsigned long tune_timer_slack() noexcept;
  /// Sets the calling thread's timer slack back to what tune_timer_slack returned.
  static void restore_timer_slack(unsigned long slack) noexcept;

 private:
  int spins_;
  std::int64_t cap_us_;
  int polls_ = 0;
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace rankpool
