// A job returning std::span is refused: the span would point into the worker's memory.
// expect: rankpool: a job's argument and result travel between processes: pointers and views \(string_view, span\)
// cannot
#include <boost/serialization/vector.hpp>
#include <rankpool/rankpool.hpp>

#include <cstdint>
#include <span>
#include <vector>

struct Window {
  static constexpr const char* name = "window";
  std::vector<int> data{1, 2, 3, 4};
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & data;
    // clang-format on
  }
#ifdef RANKPOOL_COMPILE_FAIL
  std::span<const int> operator()(std::uint64_t index) const { return std::span(data).subspan(index % 4); }
#else
  std::vector<int> operator()(std::uint64_t index) const { return {data.begin() + index % 4, data.end()}; }
#endif
};

auto window(rankpool::Pool& pool) { return pool.apply(Window{}, 1); }
