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

std::string gmp_factorial(std::uint64_t n, Encoding encoding) {
  mp::mpz_int value;
  mpz_fac_ui(value.backend().data(), static_cast<unsigned long>(n));
  if (encoding == Encoding::kDecimal) return "d" + value.str();
  std::string out(1, 'b');
  const std::size_t bytes = (mpz_sizeinbase(value.backend().data(), 2) + 7) / 8;
  out.resize(1 + bytes);
  std::size_t written = 0;
  mpz_export(out.data() + 1, &written, -1, 1, 0, 0, value.backend().data());
  out.resize(1 + written);
  return out;
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
  mp::mpz_int value;
  mpz_import(value.backend().data(), wire.size() - 1, -1, 1, 0, 0, wire.data() + 1);
  return value.str();
}

Backend parse_backend(std::string_view name) {
  if (name == "gmp") return Backend::kGmp;
  if (name == "cpp_int") return Backend::kCppInt;
  throw UsageError("--backend must be gmp or cpp_int, not '" + std::string(name) + "'");
}

}  // namespace rankpool::factorial
