#pragma once
/// \file
/// NumberList: the n of a factorial run, from `--upto N`, `--numbers LIST` or `--numbers-file FILE`.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rankpool::factorial {

/// The largest n rankpool computes n! for: 10^7! has 65.7 million digits
/// (27 MiB in binary) and takes GMP about half a minute.
inline constexpr std::uint64_t kMaxN = 10'000'000;

/// The requested n, in request order, as inclusive ranges (1-100000 costs 16 bytes).
class NumberList {
 public:
  NumberList() = default;
  /// `LIST`: comma-separated numbers and inclusive ranges a-b, e.g. "1-5,8,10-12".
  /// Throws UsageError naming the bad item.
  static NumberList parse(std::string_view text);
  /// The text of `--numbers-file NAME`: numbers and ranges a-b separated by
  /// commas or any whitespace (newlines included). Throws UsageError naming
  /// NAME, the line and the bad item, or saying the file holds no numbers.
  static NumberList parse_file(std::string_view text, const std::string& name);
  /// 1..n; throws UsageError unless 1 <= n <= kMaxN.
  static NumberList upto(std::int64_t n);

  std::uint64_t size() const noexcept { return total_; }
  /// The n at a position in request order.
  std::uint64_t at(std::uint64_t position) const;
  std::uint64_t max() const noexcept;
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges() const noexcept { return ranges_; }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & ranges_ & starts_ & total_;
    // clang-format on
  }

 private:
  void add(std::uint64_t first, std::uint64_t last);
  /// One item, "n" or "a-b"; `where` starts any error message.
  void add_item(std::string_view item, const std::string& where);

  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
  std::vector<std::uint64_t> starts_;  // position of each range's first n
  std::uint64_t total_ = 0;
};

}  // namespace rankpool::factorial
