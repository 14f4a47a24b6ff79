#pragma once
/// \file
/// Jobs with typed arguments, set-up hooks and big results, for the MPI tests.

#include <unistd.h>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "rankpool/job.hpp"

namespace rankpool::testing {

struct WordLength {
  static constexpr const char* name = "word_length";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  std::uint64_t operator()(const std::string& word) const { return word.size(); }
};

struct Point {
  double x = 0, y = 0;
};
struct Norm {
  static constexpr const char* name = "norm";
  double scale = 1;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & scale;
    // clang-format on
  }
  double operator()(const Point& p) const { return scale * std::hypot(p.x, p.y); }
};

/// Several parameters: starmap over tuples.
struct Repeat {
  static constexpr const char* name = "repeat";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  std::string operator()(const std::string& text, int times) const {
    std::string out;
    for (int i = 0; i < times; ++i) out += text;
    return out;
  }
};

/// Throws a typed exception for negative numbers.
struct CheckedRoot {
  static constexpr const char* name = "checked_root";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  double operator()(const double& x) const {
    if (x < 0) throw std::domain_error("negative: " + std::to_string(x));
    return std::sqrt(x);
  }
};

/// setup() runs once per worker before its first task: each task reports
/// how many times setup ran in this process (always 1) and which pid ran it.
struct CountsSetup {
  static constexpr const char* name = "counts_setup";
  int setups = 0;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & setups;
    // clang-format on
  }
  void setup() { ++setups; }
  std::vector<std::int64_t> operator()(std::uint64_t) const { return {setups, static_cast<std::int64_t>(getpid())}; }
};

struct FailingSetup {
  static constexpr const char* name = "failing_setup";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  void setup() { throw std::invalid_argument("no licence server"); }
  std::uint64_t operator()(std::uint64_t index) const { return index; }
};

/// A result of `bytes` bytes whose content depends on the index.
struct BigResult {
  static constexpr const char* name = "big_result";
  std::uint64_t bytes = 0;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & bytes;
    // clang-format on
  }
  std::string operator()(std::uint64_t index) const {
    std::string out(bytes, '\0');
    for (std::uint64_t i = 0; i < bytes; i += 4096) out[i] = static_cast<char>('a' + (index + i / 4096) % 26);
    if (!out.empty()) out.back() = 'z';
    return out;
  }
};

/// std::vector<bool> both ways: each bit flipped, one more (true) appended.
struct FlipBits {
  static constexpr const char* name = "flip_bits";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  std::vector<bool> operator()(const std::vector<bool>& bits) const {
    std::vector<bool> out;
    for (bool bit : bits) out.push_back(!bit);
    out.push_back(true);
    return out;
  }
};

/// An index job whose result is a std::vector<bool>: the index's low `width` bits.
struct LowBits {
  static constexpr const char* name = "low_bits";
  int width = 8;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & width;
    // clang-format on
  }
  std::vector<bool> operator()(std::uint64_t index) const {
    std::vector<bool> out;
    for (int bit = 0; bit < width; ++bit) out.push_back(((index >> bit) & 1u) != 0);
    return out;
  }
};

/// A bool result.
struct IsOdd {
  static constexpr const char* name = "is_odd";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  bool operator()(std::uint64_t index) const { return index % 2 == 1; }
};

/// Named as Square is: registering both is refused.
struct SquareImpostor {
  static constexpr const char* name = "square";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  long operator()(std::uint64_t index) const { return static_cast<long>(index * index * index); }
};

}  // namespace rankpool::testing
