// A job whose operator() is not const gets the rule, not "incomplete type".
// expect: rankpool: a job's operator\(\) must be const
#include <rankpool/job.hpp>

#include <cstdint>

struct Counter {
  static constexpr const char* name = "counter";
#ifdef RANKPOOL_COMPILE_FAIL
  std::uint64_t operator()(std::uint64_t index) { return index; }
#else
  std::uint64_t operator()(std::uint64_t index) const { return index; }
#endif
};

rankpool::JobRegistry jobs() { return rankpool::JobRegistry().add<Counter>(); }
