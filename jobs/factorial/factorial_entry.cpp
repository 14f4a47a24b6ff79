#include "factorial/factorial_entry.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rankpool::factorial {

namespace {

/// The digits of n!, or 0 when double precision cannot tell between two counts.
std::uint64_t digit_count(std::uint64_t n) {
  if (n < 2) return 1;
  const double log10_factorial = std::lgamma(static_cast<double>(n) + 1) / std::log(10.0);
  if (std::abs(log10_factorial - std::round(log10_factorial)) < 1e-6) return 0;
  return static_cast<std::uint64_t>(std::floor(log10_factorial)) + 1;
}

std::uint64_t trailing_zeros(std::uint64_t n) {
  std::uint64_t zeros = 0;
  for (std::uint64_t power = 5; power <= n; power *= 5) zeros += n / power;
  return zeros;
}

/// n! mod 9: 0 from 6! = 720 on.
unsigned factorial_mod_9(std::uint64_t n) {
  unsigned value = 1;
  for (std::uint64_t k = 2; k <= n && value != 0; ++k) value = static_cast<unsigned>((value * (k % 9)) % 9);
  return value;
}

}  // namespace

void check_factorial_entry(const NumberList& numbers, std::uint64_t key, std::string_view payload) {
  if (key >= numbers.size())
    throw std::invalid_argument("is not one of this run's " + std::to_string(numbers.size()) + " tasks");
  const std::uint64_t n = numbers.at(key);
  const auto tab = payload.find('\t');
  std::uint64_t written_n = 0;
  const auto [end, error] =
      std::from_chars(payload.data(), payload.data() + (tab == payload.npos ? 0 : tab), written_n);
  if (tab == payload.npos || tab == 0 || error != std::errc() || end != payload.data() + tab)
    throw std::invalid_argument("is not 'n<TAB>n!'");
  if (written_n != n)
    throw std::invalid_argument("is for n = " + std::to_string(written_n) + ", but task " + std::to_string(key) +
                                " is n = " + std::to_string(n));
  const std::string_view digits = payload.substr(tab + 1);
  if (digits.empty()) throw std::invalid_argument("has no digits");
  unsigned sum_mod_9 = 0;
  for (const char digit : digits) {
    if (digit < '0' || digit > '9') throw std::invalid_argument("has a character that is not a decimal digit");
    sum_mod_9 = (sum_mod_9 + static_cast<unsigned>(digit - '0')) % 9;
  }
  if (digits.front() == '0') throw std::invalid_argument("starts with 0");
  const std::uint64_t want_digits = digit_count(n);
  if (want_digits != 0 && digits.size() != want_digits)
    throw std::invalid_argument("has " + std::to_string(digits.size()) + " digits; " + std::to_string(n) + "! has " +
                                std::to_string(want_digits));
  const auto last_nonzero = digits.find_last_not_of('0');
  if (digits.size() - 1 - last_nonzero != trailing_zeros(n))
    throw std::invalid_argument("does not end in the " + std::to_string(trailing_zeros(n)) + " zeros " +
                                std::to_string(n) + "! ends in");
  if (sum_mod_9 != factorial_mod_9(n))
    throw std::invalid_argument("has a digit sum " + std::to_string(n) + "! cannot have (a changed digit)");
}

}  // namespace rankpool::factorial
