#pragma once
/// \file
/// The two halves of RateBudget: the master's timeline of slots, and a
/// worker's leases from it (kLease / kGrant, protocol.hpp).

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rankpool/detail/protocol.hpp"
#include "rankpool/detail/transport.hpp"

namespace rankpool::detail {

/// Slots in one lease: about a quarter of a second of them, at least one.
std::uint32_t lease_slots(double per_second) noexcept;

/// Every budget's timeline, on the master (or in a process with no session).
/// Thread-safe.
class BudgetTimeline {
 public:
  using Clock = std::chrono::steady_clock;
  /// `slots` consecutive slots of budget `name` for `holder` (a rank), none
  /// before `now`; times in LeaseSlots count from `now`.
  LeaseSlots lease(const std::string& name, double per_second, std::uint32_t slots, int holder, Clock::time_point now);

 private:
  struct Line {
    Clock::time_point next{};  // the first slot nobody holds
    int holder = -1;           // who holds the slice that ends at `next`
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Line> lines_;
};

/// The process's timeline (the master's).
BudgetTimeline& master_timeline();

/// A worker's slots, leased from the master. Used from the worker's thread only.
class LeaseClient {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LeaseClient(MPI_Comm comm) : comm_(comm), outbox_(comm) {}
  LeaseClient(const LeaseClient&) = delete;
  LeaseClient& operator=(const LeaseClient&) = delete;

  /// Waits for this worker's next slot of budget `name`.
  void acquire(const std::string& name, double per_second);
  /// Takes a kGrant message the worker's loop received.
  void take_grant(std::string_view message);
  /// Waits until its lease requests are sent (before the worker ends).
  void drain() { outbox_.drain(); }
  /// A mutex held around this client's MPI calls (those made from a task,
  /// while another thread of the worker may call MPI too).
  void serialize_with(std::mutex* mutex) noexcept { mpi_mutex_ = mutex; }

 private:
  struct Budget {
    std::deque<Clock::time_point> slots;
    bool asked = false;
  };
  void ask(const std::string& name, double per_second, Budget& budget);
  /// Takes the grants that have arrived, without waiting.
  void poll();

  std::unique_lock<std::mutex> lock_mpi() const {
    return mpi_mutex_ ? std::unique_lock<std::mutex>(*mpi_mutex_) : std::unique_lock<std::mutex>();
  }

  MPI_Comm comm_;
  Outbox outbox_;
  std::unordered_map<std::string, Budget> budgets_;
  std::mutex* mpi_mutex_ = nullptr;
};

/// The worker's lease client while a Worker serves (else null: the process
/// takes slots from its own timeline).
LeaseClient* current_lease_client() noexcept;
void set_lease_client(LeaseClient* client) noexcept;

}  // namespace rankpool::detail
