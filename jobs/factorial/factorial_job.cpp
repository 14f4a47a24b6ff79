#include "factorial/factorial_job.hpp"

#include <gmp.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <boost/multiprecision/gmp.hpp>
#include <iterator>
#include <stdexcept>

#include "rankpool/errors.hpp"

namespace rankpool::factorial {

namespace mp = boost::multiprecision;

namespace {

// The magnitude in little-endian bytes. mpz_export with 1-byte words goes
// byte by byte (15 % of a factorial's time); whole limbs go 100x faster.
std::string magnitude_bytes(mpz_srcptr value) {
  const std::size_t limbs = mpz_size(value);
  std::string out(limbs * sizeof(mp_limb_t), '\0');
  std::size_t written = 0;
  if (limbs > 0) mpz_export(out.data(), &written, -1, sizeof(mp_limb_t), -1, 0, value);
  out.resize(written * sizeof(mp_limb_t));
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

std::string gmp_factorial(std::uint64_t n, Encoding encoding) {
  mp::mpz_int value;
  mpz_fac_ui(value.backend().data(), static_cast<unsigned long>(n));
  if (encoding == Encoding::kDecimal) return "d" + value.str();
  return "b" + magnitude_bytes(value.backend().data());
}

std::string cpp_int_factorial(std::uint64_t n, Encoding encoding) {
  mp::cpp_int value = 1;
  for (std::uint64_t k = 2; k <= n; ++k) value *= k;
  if (encoding == Encoding::kDecimal) return "d" + value.str();
  std::string out(1, 'b');
  mp::export_bits(value, std::back_inserter(out), 8, /*msv_first=*/false);
  return out;
}

}  // namespace

std::string compute_factorial(std::uint64_t n, Backend backend, Encoding encoding) {
  return backend == Backend::kGmp ? gmp_factorial(n, encoding) : cpp_int_factorial(n, encoding);
}

std::string FactorialJob::operator()(std::uint64_t index) const {
  const std::uint64_t n = numbers.at(index);
  if (has_fail_on && n == fail_on) throw std::runtime_error("injected failure for n = " + std::to_string(n));
  return compute_factorial(n, backend, encoding);
}

std::string wire_to_decimal(std::string_view wire) {
  if (wire.empty()) throw RuntimeError("factorial: empty result");
  if (wire.front() == 'd') return std::string(wire.substr(1));
  if (wire.front() != 'b') throw RuntimeError("factorial: unknown result encoding");
  // Pad to whole limbs so the import goes limb by limb, not byte by byte.
  std::string magnitude(wire.substr(1));
  magnitude.resize((magnitude.size() + sizeof(mp_limb_t) - 1) / sizeof(mp_limb_t) * sizeof(mp_limb_t), '\0');
  mp::mpz_int value;
  mpz_import(value.backend().data(), magnitude.size() / sizeof(mp_limb_t), -1, sizeof(mp_limb_t), -1, 0,
             magnitude.data());
  return value.str();
}

Backend parse_backend(std::string_view name) {
  if (name == "gmp") return Backend::kGmp;
  if (name == "cpp_int") return Backend::kCppInt;
  throw UsageError("--backend must be gmp or cpp_int, not '" + std::string(name) + "'");
}

}  // namespace rankpool::factorial
