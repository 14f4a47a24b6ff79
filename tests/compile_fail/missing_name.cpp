// A job without a name is refused: workers rebuild a job from its name.
// expect: rankpool: a job needs a name: static constexpr const char\* name
#include <rankpool/job.hpp>

#include <cstdint>

struct Anonymous {
#ifndef RANKPOOL_COMPILE_FAIL
  static constexpr const char* name = "anonymous";
#endif
  std::uint64_t operator()(std::uint64_t index) const { return index; }
};

rankpool::JobRegistry jobs() { return rankpool::JobRegistry().add<Anonymous>(); }
