// A job with two call operators is refused: its argument type must be one.
// expect: rankpool: a job needs exactly one call operator, neither overloaded nor a template
#include <rankpool/job.hpp>

#include <cstdint>

struct Either {
  static constexpr const char* name = "either";
  std::uint64_t operator()(std::uint64_t index) const { return index; }
#ifdef RANKPOOL_COMPILE_FAIL
  std::uint64_t operator()(int index) const { return static_cast<std::uint64_t>(index); }
#endif
};

rankpool::JobRegistry jobs() { return rankpool::JobRegistry().add<Either>(); }
