// Isolation under MPI (run with RANKPOOL_ISOLATE set): a map whose task 7
// segfaults fails that task alone, with a RemoteError naming it and the
// signal; the other tasks' values are right and the pool goes on working.
#include <cstdint>
#include <iostream>
#include <string>

#include "rankpool/rankpool.hpp"
#include "support/die_by_signal.hpp"

namespace {

/// index², except task `crash_at`, which segfaults its process.
struct SquareOrCrash {
  static constexpr const char* name = "square_or_crash";
  std::uint64_t crash_at = 7;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    // clang-format off
    archive & crash_at;
    // clang-format on
  }
  std::uint64_t operator()(std::uint64_t index) const {
    if (index == crash_at) rankpool_test::die_by_signal(SIGSEGV);
    return index * index;
  }
};

int check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok: " : "FAILED: ") << what << std::endl;
  return ok ? 0 : 1;
}

int run(rankpool::Pool& pool) {
  int failures = 0;
  const auto all = pool.map_values(SquareOrCrash{}, 20);
  failures += check(all.values.size() == 20, "20 values");
  failures += check(all.failed.size() == 1 && all.failed[0] == 7, "task 7 alone failed");
  for (std::uint64_t i = 0; i < all.values.size(); ++i)
    if (i != 7) failures += check(all.values[i] == i * i, "value of task " + std::to_string(i));
  if (!all.errors.empty()) {
    const std::string message = all.errors[0].what();
    std::cout << "error: " << message << std::endl;
    failures += check(all.errors[0].failure().index == 7, "the error names task 7");
    failures +=
        check(message.find("task 7 killed the worker's child process: signal 11 (SIGSEGV)") != std::string::npos,
              "the error names the signal");
  }
  try {
    pool.map(SquareOrCrash{}, 20);
    failures += check(false, "map throws");
  } catch (const rankpool::RemoteError& error) {
    failures += check(error.failure().index == 7, "map throws task 7's RemoteError");
  }
  const auto again = pool.map(SquareOrCrash{1000}, 50);
  std::uint64_t sum = 0;
  for (std::uint64_t value : again) sum += value;
  failures += check(sum == 49 * 50 * 99 / 6, "the next map's 50 values");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<SquareOrCrash>());
  int code = 0;
  if (rankpool::Pool* pool = session.pool()) code = run(*pool);
  return session.finish(code);
}
