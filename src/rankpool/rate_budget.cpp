#include "rankpool/rate_budget.hpp"

#include <cmath>
#include <thread>

#include "rankpool/detail/budget.hpp"
#include "rankpool/errors.hpp"

namespace rankpool {

RateBudget::RateBudget(std::string name, double per_second) : name_(std::move(name)), per_second_(per_second) {
  if (name_.empty()) throw UsageError("a rate budget needs a name");
  if (!std::isfinite(per_second_) || per_second_ <= 0)
    throw UsageError("a rate budget needs a rate > 0, got " + std::to_string(per_second_));
}

void RateBudget::acquire() const {
  if (detail::LeaseClient* client = detail::current_lease_client()) {
    client->acquire(name_, per_second_);
    return;
  }
  // The master's own threads (or no session): the timeline is here.
  const auto now = detail::BudgetTimeline::Clock::now();
  const detail::LeaseSlots slot = detail::master_timeline().lease(name_, per_second_, 1, 0, now);
  std::this_thread::sleep_until(now + std::chrono::duration_cast<detail::BudgetTimeline::Clock::duration>(
                                          std::chrono::duration<double>(slot.first)));
}

}  // namespace rankpool
