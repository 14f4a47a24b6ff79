#pragma once
/// \file
/// The factorial job: task i computes n! for the i-th requested n.

#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "factorial/number_list.hpp"

namespace rankpool::factorial {

enum class Backend : std::uint8_t { kGmp, kCppInt };
enum class Encoding : std::uint8_t { kBinary, kDecimal };

/// n! with Boost.Multiprecision: GMP's mpz_fac_ui by default, or a cpp_int
/// multiply loop for comparison. A result travels as one tag byte ('b' or
/// 'd') and then either the magnitude in little-endian bytes or the decimal
/// digits, made on the worker when the output needs them.
struct FactorialJob {
  static constexpr const char* name = "factorial";

  NumberList numbers;
  Backend backend = Backend::kGmp;
  Encoding encoding = Encoding::kBinary;
  /// Fault injection for tests: the task for this n throws (0: none).
  std::uint64_t fail_on = 0;
  bool has_fail_on = false;

  std::string operator()(std::uint64_t index) const;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    // clang-format off
    archive & numbers & backend & encoding & fail_on & has_fail_on;
    // clang-format on
  }
};

/// n! as a wire value, computed with the given backend.
std::string compute_factorial(std::uint64_t n, Backend backend, Encoding encoding);
/// The decimal digits of a wire value, whichever encoding it has.
std::string wire_to_decimal(std::string_view wire);
/// Backend and Encoding from their command-line names; throw UsageError.
Backend parse_backend(std::string_view name);

}  // namespace rankpool::factorial
