// A complete user job: count the primes below 1,000,000 in blocks, over the pool.
#include <rankpool/rankpool.hpp>

#include <cstdint>
#include <iostream>
#include <stdexcept>

struct CountPrimes {  // a job: a name, parameters, a task
  static constexpr const char* name = "count_primes";
  std::uint64_t block = 10000;  // a parameter, sent to each worker once
  // clang-format off
  template <class Archive> void serialize(Archive& ar, unsigned) { ar & block; }
  // clang-format on

  std::uint64_t operator()(std::uint64_t index) const {  // task index -> result
    if (block == 0) throw std::invalid_argument("block must be positive");
    std::uint64_t count = 0;
    for (std::uint64_t n = index * block; n < (index + 1) * block; ++n) {
      bool prime = n >= 2;
      for (std::uint64_t d = 2; d * d <= n && prime; ++d) prime = n % d != 0;
      count += prime;
    }
    return count;
  }
};

int main(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<CountPrimes>());
  if (rankpool::Pool* pool = session.pool()) {          // rank 0; the other ranks serve
    auto future = pool->map_async(CountPrimes{}, 100);  // returns at once
    std::uint64_t total = 0;
    for (std::uint64_t count : future.get()) total += count;
    std::cout << "primes below 1000000: " << total << '\n';
    try {
      pool->apply(CountPrimes{0}, 7);  // this task throws on its worker
    } catch (const rankpool::RemoteError& error) {
      std::cout << "error came back: " << error.what() << '\n';
    }
  }
  return session.finish();  // releases the workers
}
