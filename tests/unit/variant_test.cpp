#include <gtest/gtest.h>

#include "cli/variant.hpp"
#include "rankpool/backoff.hpp"
#include "rankpool/codec.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/task_set.hpp"
#include "support/expect_message.hpp"

namespace rankpool {
namespace {

TEST(Variant, NamesRoundTrip) {
  for (cli::Variant variant : cli::kAllVariants) EXPECT_EQ(cli::parse_variant(cli::variant_name(variant)), variant);
  EXPECT_THROW_MSG(cli::parse_variant("starmap"), UsageError,
                   "--variant must be one of serial, apply, apply_async, map, map_async, imap, imap_unordered; "
                   "not 'starmap'");
}

TEST(TaskSet, RangeAndList) {
  TaskSet range = TaskSet::range(10, 3);
  EXPECT_EQ(range.size(), 3u);
  EXPECT_EQ(range[2], 12u);
  TaskSet list(std::vector<std::uint64_t>{4, 4, 1});
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list[1], 4u);
  EXPECT_TRUE(TaskSet(0).empty());
}

struct Point {
  int x = 0;
  std::string label;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & x & label;
    // clang-format on
  }
  bool operator==(const Point&) const = default;
};

TEST(Codec, RoundTripsTrivialStringVectorAndSerializable) {
  std::string bytes;
  Codec<double>::encode(2.5, bytes);
  EXPECT_EQ(bytes.size(), sizeof(double));
  EXPECT_EQ(Codec<double>::decode(bytes), 2.5);
  Codec<std::string>::encode("abc", bytes);
  EXPECT_EQ(Codec<std::string>::decode(bytes), "abc");
  Codec<std::vector<int>>::encode({1, 2, 3}, bytes);
  EXPECT_EQ(bytes.size(), 3 * sizeof(int));
  EXPECT_EQ(Codec<std::vector<int>>::decode(bytes), (std::vector<int>{1, 2, 3}));
  Codec<Point>::encode(Point{7, "seven"}, bytes);
  EXPECT_EQ(Codec<Point>::decode(bytes), (Point{7, "seven"}));
}

TEST(RemoteError, MessageCarriesJobTaskRankHost) {
  RemoteError error(TaskFailure{"factorial", 7, 2, "node12", "boom", ""});
  EXPECT_STREQ(error.what(), "factorial task 7 on rank 2 (node12): boom");
}

}  // namespace
}  // namespace rankpool
