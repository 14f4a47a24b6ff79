#include "reposts/paging.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rankpool::reposts {
namespace {

TEST(PageCount, CeilCappedByMaxPages) {
  EXPECT_EQ(page_count(0, 200, 10), 0);
  EXPECT_EQ(page_count(1, 200, 10), 1);
  EXPECT_EQ(page_count(200, 200, 10), 1);
  EXPECT_EQ(page_count(201, 200, 10), 2);
  EXPECT_EQ(page_count(2500, 200, 10), 10);
  EXPECT_EQ(page_count(2500, 200, 20), 13);
  EXPECT_EQ(page_count(2500, 200, 0), 0);
  EXPECT_EQ(page_count(7, 1, 100), 7);
}

TEST(PageCount, HugeTotalDoesNotOverflow) {
  EXPECT_EQ(page_count(INT64_MAX, 200, 10), 10);
  EXPECT_EQ(page_count(INT64_MAX, 1, INT32_MAX), INT32_MAX);
}

TEST(PageCount, RejectsBadArguments) {
  EXPECT_THROW((void)page_count(-1, 200, 10), std::invalid_argument);
  EXPECT_THROW((void)page_count(10, 0, 10), std::invalid_argument);
  EXPECT_THROW((void)page_count(10, 200, -1), std::invalid_argument);
  try {
    (void)page_count(10, 0, 10);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "page_count: count must be >= 1, got 0");
  }
}

Repost r(std::int64_t id, std::string json = {}) {
  return Repost{id, json.empty() ? "{\"id\":" + std::to_string(id) + "}" : std::move(json)};
}

TEST(MergePages, DropsRepeatsKeepsNewestFirst) {
  RepostPage p1;
  p1.reposts = {r(90), r(80), r(70)};
  RepostPage p2;  // the list shifted by one new repost: 70 comes again
  p2.reposts = {r(70, "{\"id\":70,\"again\":true}"), r(60), r(50)};
  RepostPage empty;
  auto merged = merge_pages({p1, p2, empty});
  ASSERT_EQ(merged.size(), 5u);
  std::vector<std::int64_t> ids;
  for (const auto& x : merged) {
    ids.push_back(x.id);
  }
  EXPECT_EQ(ids, (std::vector<std::int64_t>{90, 80, 70, 60, 50}));
  EXPECT_EQ(merged[2].json, "{\"id\":70}") << "the first copy is kept";
}

TEST(MergePages, EmptyInput) {
  EXPECT_TRUE(merge_pages({}).empty());
  EXPECT_TRUE(dedupe_newest_first({}).empty());
}

TEST(DedupeNewestFirst, SortsOutOfOrderPages) {
  auto out = dedupe_newest_first({r(1), r(3), r(2), r(3), r(1)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, 3);
  EXPECT_EQ(out[1].id, 2);
  EXPECT_EQ(out[2].id, 1);
}

}  // namespace
}  // namespace rankpool::reposts
