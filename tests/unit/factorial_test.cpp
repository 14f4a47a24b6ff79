#include <gtest/gtest.h>

#include "factorial/factorial_job.hpp"
#include "rankpool/errors.hpp"
#include "support/expect_message.hpp"

namespace rankpool::factorial {
namespace {

TEST(Factorial, KnownValues) {
  EXPECT_EQ(wire_to_decimal(compute_factorial(0, Backend::kGmp, Encoding::kBinary)), "1");
  EXPECT_EQ(wire_to_decimal(compute_factorial(1, Backend::kGmp, Encoding::kBinary)), "1");
  EXPECT_EQ(wire_to_decimal(compute_factorial(20, Backend::kGmp, Encoding::kBinary)), "2432902008176640000");
  EXPECT_EQ(wire_to_decimal(compute_factorial(25, Backend::kGmp, Encoding::kDecimal)), "15511210043330985984000000");
}

TEST(Factorial, BackendsAgreeByteForByte) {
  for (std::uint64_t n : {0, 1, 2, 7, 64, 100, 1000, 3001}) {
    for (Encoding encoding : {Encoding::kBinary, Encoding::kDecimal})
      EXPECT_EQ(compute_factorial(n, Backend::kGmp, encoding), compute_factorial(n, Backend::kCppInt, encoding))
          << "n = " << n;
  }
}

TEST(Factorial, BinaryIsTheMagnitudeInBytesPlusOneTag) {
  // 1000! has 8530 bits: 1067 bytes, plus the tag byte.
  EXPECT_EQ(compute_factorial(1000, Backend::kGmp, Encoding::kBinary).size(), 1068u);
}

TEST(Factorial, JobMapsTaskIndexToTheRequestedN) {
  FactorialJob job;
  job.numbers = NumberList::parse("5,3");
  EXPECT_EQ(wire_to_decimal(job(0)), "120");
  EXPECT_EQ(wire_to_decimal(job(1)), "6");
  job.fail_on = 3;
  job.has_fail_on = true;
  EXPECT_THROW(job(1), std::runtime_error);
}

TEST(Factorial, ParseBackend) {
  EXPECT_EQ(parse_backend("gmp"), Backend::kGmp);
  EXPECT_EQ(parse_backend("cpp_int"), Backend::kCppInt);
  EXPECT_THROW_MSG(parse_backend("python"), UsageError, "--backend must be gmp or cpp_int, not 'python'");
}

}  // namespace
}  // namespace rankpool::factorial
