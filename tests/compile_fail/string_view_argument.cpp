// A job taking std::string_view is refused: a view's address means nothing on another rank.
// expect: rankpool: a job's argument and result travel between processes: pointers and views \(string_view, span\)
// cannot
#include <rankpool/rankpool.hpp>

#include <string>
#include <string_view>
#include <vector>

struct Length {
  static constexpr const char* name = "length";
#ifdef RANKPOOL_COMPILE_FAIL
  std::size_t operator()(std::string_view word) const { return word.size(); }
#else
  std::size_t operator()(const std::string& word) const { return word.size(); }
#endif
};

std::vector<std::size_t> lengths(rankpool::Pool& pool, const std::vector<std::string>& words) {
  return pool.map(Length{}, words);
}
