// One double into a job taking int does not compile either (apply, apply_async).
// expect: satisfaction of .+TaskArg<A, J>.+ \[with A = double
#include <rankpool/rankpool.hpp>

struct Twice {
  static constexpr const char* name = "twice";
  int operator()(int x) const { return 2 * x; }
};

#ifdef RANKPOOL_COMPILE_FAIL
using Number = double;
#else
using Number = int;
#endif

int twice(rankpool::Pool& pool, Number number) { return pool.apply(Twice{}, number); }
