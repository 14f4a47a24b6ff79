// A job that returns nothing is refused: a task's result travels back to the master.
// expect: rankpool: a job's operator\(\) must return its result
#include <rankpool/rankpool.hpp>

#include <cstdint>

struct Touch {
  static constexpr const char* name = "touch";
#ifdef RANKPOOL_COMPILE_FAIL
  void operator()(std::uint64_t) const {}
#else
  bool operator()(std::uint64_t) const { return true; }
#endif
};

void touch(rankpool::Pool& pool) { pool.map(Touch{}, 10); }
