#pragma once
/// \file
/// Jobs of the contract tests (contract_test.cpp).

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/serialization/string.hpp>

namespace rankpool::testing {

/// An argument whose encoding throws at one value (it travels through its
/// serialize: the string keeps it from being sent as raw bytes).
struct Fragile {
  int value = 0;
  std::string label;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    if (value == 3) throw std::domain_error("bad input at 3");
    // clang-format off
    archive & value & label;
    // clang-format on
  }
};

struct TakesFragile {
  static constexpr const char* name = "takes_fragile";
  long operator()(const Fragile& arg) const { return arg.value * 10; }
  template <class Archive>
  void serialize(Archive&, unsigned) {}
};

/// starmap's form of TakesFragile: a Fragile and a multiplier.
struct TakesFragileTimes {
  static constexpr const char* name = "takes_fragile_times";
  long operator()(const Fragile& arg, int times) const { return arg.value * times; }
  template <class Archive>
  void serialize(Archive&, unsigned) {}
};

/// Sleeps `millis`, then returns the id of the process that ran it.
struct WhichProcess {
  static constexpr const char* name = "which_process";
  int millis = 2;
  long operator()(std::uint64_t) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(millis));
    return static_cast<long>(getpid());
  }
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & millis;
    // clang-format on
  }
};

}  // namespace rankpool::testing
