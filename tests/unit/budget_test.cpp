#include <gtest/gtest.h>

#include "support/expect_message.hpp"

#include "rankpool/detail/budget.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/rate_budget.hpp"

namespace rankpool::detail {
namespace {

using Clock = BudgetTimeline::Clock;

TEST(BudgetTimeline, SlicesFollowEachOtherWithoutOverlap) {
  BudgetTimeline timeline;
  const auto now = Clock::now();
  const LeaseSlots first = timeline.lease("api", 10.0, 3, 1, now);
  EXPECT_EQ(first.count, 3u);
  EXPECT_DOUBLE_EQ(first.first, 0.0);
  EXPECT_GE(first.spacing, 0.1);  // never closer than 1/rate
  // The same holder again: right after its last slot.
  const LeaseSlots again = timeline.lease("api", 10.0, 3, 1, now);
  EXPECT_NEAR(again.first, 3 * first.spacing, 1e-6);
  // Another holder: after that, with the guard between them.
  const LeaseSlots other = timeline.lease("api", 10.0, 3, 2, now);
  EXPECT_NEAR(other.first, 6 * first.spacing + kLeaseGuardSeconds, 1e-6);
  // Another budget has its own timeline; a lease never starts in the past.
  EXPECT_DOUBLE_EQ(timeline.lease("other", 10.0, 1, 2, now).first, 0.0);
  EXPECT_DOUBLE_EQ(timeline.lease("api", 10.0, 1, 2, now + std::chrono::seconds(10)).first, 0.0);
}

TEST(BudgetTimeline, LeasesCoverAQuarterSecond) {
  EXPECT_EQ(lease_slots(10.0), 3u);
  EXPECT_EQ(lease_slots(0.5), 1u);
  EXPECT_EQ(lease_slots(1000.0), 250u);
}

TEST(BudgetTimeline, LeaseMessagesRoundTrip) {
  ByteWriter out;
  write(out, LeaseRequest{"reposts http://x", 12.5, 4});
  const std::string request = std::move(out).finish();
  ByteReader in(request);
  EXPECT_EQ(read_lease_request(in), (LeaseRequest{"reposts http://x", 12.5, 4}));
  ByteWriter grant_out;
  write(grant_out, LeaseGrant{"api", LeaseSlots{3, 0.25, 0.102}});
  const std::string grant = std::move(grant_out).finish();
  ByteReader grant_in(grant);
  EXPECT_EQ(grant_in.sized(), "api");
  EXPECT_EQ(read<LeaseSlots>(grant_in), (LeaseSlots{3, 0.25, 0.102}));
  ByteReader whole(grant);
  EXPECT_EQ(read<LeaseGrant>(whole), (LeaseGrant{"api", LeaseSlots{3, 0.25, 0.102}}));
}

TEST(RateBudget, RejectsBadSettings) {
  EXPECT_THROW_HAS(RateBudget("api", 0.0), UsageError, "a rate budget needs a rate > 0, got 0");
  EXPECT_THROW_HAS(RateBudget("api", -1.0), UsageError, "a rate budget needs a rate > 0, got -1");
  EXPECT_THROW_MSG(RateBudget("", 1.0), UsageError, "a rate budget needs a name");
  EXPECT_NO_THROW(RateBudget("api", 1e6).acquire());  // no session: the process's own timeline
}

}  // namespace
}  // namespace rankpool::detail
