// NumberList::parse (`--numbers LIST`): any text is a valid list or a
// UsageError, and a valid list agrees with itself (size, max, at).

#include <algorithm>
#include <stdexcept>

#include "factorial/number_list.hpp"
#include "fuzz_support.hpp"
#include "rankpool/errors.hpp"

using rankpool::factorial::NumberList;
namespace fuzz = rankpool::fuzz;

namespace {

void check(const NumberList& list) {
  if (list.size() == 0) fuzz::fail("parse returned an empty list");
  std::uint64_t total = 0;
  std::uint64_t max = 0;
  for (const auto& [first, last] : list.ranges()) {
    if (first > last) fuzz::fail("a range runs backwards");
    if (last > rankpool::factorial::kMaxN) fuzz::fail("n above kMaxN accepted");
    // Each range's ends, at the positions the ranges before it imply.
    if (list.at(total) != first) fuzz::fail("at() of a range's first position");
    total += last - first + 1;
    if (list.at(total - 1) != last) fuzz::fail("at() of a range's last position");
    max = std::max(max, last);
  }
  if (total != list.size()) fuzz::fail("size() is not the sum of the ranges");
  if (max != list.max()) fuzz::fail("max() is not the largest n");
  try {
    (void)list.at(list.size());
    fuzz::fail("at(size()) did not throw");
  } catch (const std::out_of_range&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_only<rankpool::UsageError>([&] { check(NumberList::parse(fuzz::as_text(data, size))); });
  return 0;
}
