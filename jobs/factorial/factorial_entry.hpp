#pragma once
/// \file
/// What a factorial run's output journal may hold, checked before --resume trusts it.

#include <cstdint>
#include <string_view>

#include "factorial/number_list.hpp"

namespace rankpool::factorial {

/// Checks one journal entry: `key` is a task of `numbers`, and `payload` is
/// "n<TAB>digits" with that task's n and digits that can be n!: no leading
/// zero, as many digits as n! has, as many trailing zeros, and a digit sum
/// n! allows (mod 9). Throws std::invalid_argument saying what is wrong.
void check_factorial_entry(const NumberList& numbers, std::uint64_t key, std::string_view payload);

}  // namespace rankpool::factorial
