#include "rankpool/detail/budget.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/rate_budget.hpp"

namespace rankpool::detail {

namespace {

/// A lease covers about this much of the timeline.
constexpr double kLeaseSeconds = 0.25;
/// Slots stand this much more than 1/rate apart: a few milliseconds of
/// jitter (a wake-up, a send, the server's own scheduling on a busy machine:
/// 2 % was not enough with 5 processes on 2 cores) cannot put rate + 1
/// requests in one second.
constexpr double kSpacingMargin = 1.05;
/// A slot is still taken this late, in spacings, and at most kLateSlotSeconds;
/// later, it is lost. A late slot shortens the gap to the next by as much, so
/// R + 1 requests span at least 1.05 s - 10 ms: never R + 1 in one second,
/// whatever R (a fifth of a spacing alone would allow it below R = 12).
constexpr double kLateSlot = 0.2;
constexpr double kLateSlotSeconds = 0.010;
/// How often acquire() reads grants while it waits for a slot.
constexpr std::chrono::milliseconds kGrantPoll{1};

std::atomic<LeaseClient*> g_lease_client{nullptr};

BudgetTimeline::Clock::duration seconds(double value) {
  return std::chrono::duration_cast<BudgetTimeline::Clock::duration>(std::chrono::duration<double>(value));
}

}  // namespace

std::uint32_t lease_slots(double per_second) noexcept {
  const double slots = std::ceil(per_second * kLeaseSeconds);
  return slots < 1 ? 1 : slots > 1e6 ? 1'000'000 : static_cast<std::uint32_t>(slots);
}

LeaseSlots BudgetTimeline::lease(const std::string& name, double per_second, std::uint32_t slots, int holder,
                                 Clock::time_point now) {
  const double spacing = kSpacingMargin / per_second;
  std::lock_guard lock(mutex_);
  Line& line = lines_[name];
  // Another holder's slice ends at `next`: its slots may fire a little late,
  // the guard keeps them apart.
  Clock::time_point start = line.next;
  if (line.holder != holder) start += seconds(kLeaseGuardSeconds);
  start = std::max(start, now);
  line.next = start + seconds(spacing * slots);
  line.holder = holder;
  return LeaseSlots{slots, std::chrono::duration<double>(start - now).count(), spacing};
}

BudgetTimeline& master_timeline() {
  static BudgetTimeline timeline;
  return timeline;
}

LeaseClient* current_lease_client() noexcept { return g_lease_client.load(); }
void set_lease_client(LeaseClient* client) noexcept { g_lease_client.store(client); }

void LeaseClient::ask(const std::string& name, double per_second, Budget& budget) {
  ByteWriter out;
  write(out, LeaseRequest{name, per_second, lease_slots(per_second)});
  const auto lock = lock_mpi();
  outbox_.reap();
  outbox_.post(0, kLease, std::move(out).finish());
  budget.asked = true;
}

void LeaseClient::take_grant(std::string_view message) {
  ByteReader in(message);
  const auto [name, slots] = read<LeaseGrant>(in);
  auto found = budgets_.find(name);
  if (found == budgets_.end() || !found->second.asked) return;
  Budget& budget = found->second;
  budget.asked = false;
  // Counted from the reading: the master placed the slots `first` seconds
  // after it answered, which was before now. Counting from the asking would
  // put them early by however long the master took to answer (a planned
  // sleep: up to 20 ms), and two slices would crowd each other. A grant read
  // late only costs slots; acquire() reads grants while it waits.
  const auto read_at = Clock::now();
  for (std::uint32_t i = 0; i < slots.count; ++i)
    budget.slots.push_back(read_at + seconds(slots.first + slots.spacing * i));
}

void LeaseClient::poll() {
  const auto lock = lock_mpi();
  for (;;) {
    int flag = 0;
    MPI_Message matched;
    MPI_Status status;
    check_mpi(MPI_Improbe(0, kGrant, comm_, &flag, &matched, &status), "MPI_Improbe");
    if (!flag) return;
    take_grant(receive_matched(comm_, matched, status));
  }
}

void LeaseClient::acquire(const std::string& name, double per_second) {
  Budget& budget = budgets_[name];
  const std::uint32_t lease = lease_slots(per_second);
  const auto grace = seconds(std::min(kLateSlot / per_second, kLateSlotSeconds));
  Backoff backoff(64, 1000);
  for (;;) {
    poll();
    const auto now = Clock::now();
    while (!budget.slots.empty() && budget.slots.front() + grace < now) budget.slots.pop_front();
    if (!budget.slots.empty()) {
      const auto slot = budget.slots.front();
      budget.slots.pop_front();
      // Ask for the next slice while half of this one is left.
      if (!budget.asked && 2 * budget.slots.size() <= lease) ask(name, per_second, budget);
      // Wait for the slot reading grants, so the next slice is placed where
      // the master put it rather than when this process next looks.
      for (auto at = Clock::now(); at < slot; at = Clock::now()) {
        std::this_thread::sleep_until(std::min(slot, at + kGrantPoll));
        poll();
      }
      return;
    }
    if (!budget.asked) ask(name, per_second, budget);
    backoff.pause();
  }
}

}  // namespace rankpool::detail
