// A job taking a pointer is refused, here at registration.
// expect: rankpool: a job's argument and result travel between processes: pointers and views \(string_view, span\)
// cannot
#include <rankpool/job.hpp>

#include <string>

struct Shout {
  static constexpr const char* name = "shout";
#ifdef RANKPOOL_COMPILE_FAIL
  std::string operator()(const char* text) const { return std::string(text) + "!"; }
#else
  std::string operator()(const std::string& text) const { return text + "!"; }
#endif
};

rankpool::JobRegistry jobs() { return rankpool::JobRegistry().add<Shout>(); }
