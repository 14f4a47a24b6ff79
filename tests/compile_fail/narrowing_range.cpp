// A range of double into a job taking int does not compile: no silent narrowing.
// expect: satisfaction of .+TaskArgs<Args, J>.+ \[with Args = std::vector<double
#include <rankpool/rankpool.hpp>

#include <vector>

struct Twice {
  static constexpr const char* name = "twice";
  int operator()(int x) const { return 2 * x; }
};

#ifdef RANKPOOL_COMPILE_FAIL
using Number = double;
#else
using Number = int;
#endif

std::vector<int> twice(rankpool::Pool& pool, std::vector<Number>& numbers) { return pool.map(Twice{}, numbers); }
