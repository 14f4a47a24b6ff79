// The library's contract, as a user's program: typed arguments through every call.
// With the argument "lazy", imap_unordered runs over 2,000,000 strings made on demand.
#include <rankpool/rankpool.hpp>

#include <sys/resource.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <ranges>
#include <string>
#include <vector>

struct WordLength {
  static constexpr const char* name = "word_length";
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  std::uint64_t operator()(const std::string& word) const { return word.size(); }
};
struct Point {
  double x = 0, y = 0;
};
struct Norm {
  static constexpr const char* name = "norm";
  double scale = 1;
  // clang-format off
  template <class Archive> void serialize(Archive& ar, unsigned) { ar & scale; }
  // clang-format on
  double operator()(const Point& p) const { return scale * std::hypot(p.x, p.y); }
};

int main(int argc, char** argv) {
  rankpool::Session session(argc, argv, rankpool::JobRegistry().add<WordLength>().add<Norm>());
  if (rankpool::Pool* pool = session.pool()) {
    if (argc > 1 && std::strcmp(argv[1], "lazy") == 0) {
      auto words =
          std::views::iota(0u, 2'000'000u) | std::views::transform([](unsigned i) { return std::to_string(i); });
      std::uint64_t total = 0;
      for (std::uint64_t n : pool->imap_unordered(WordLength{}, words, 256)) total += n;
      std::cout << "lazy total: " << total << '\n';  // 12888890 digits in 0..1999999
      rusage usage{};
      getrusage(RUSAGE_SELF, &usage);
      std::cerr << "master peak RSS: " << usage.ru_maxrss / 1024 << " MiB\n";
    } else {
      std::vector<std::string> words{"a", "bb", "ccc"};
      std::vector<std::uint64_t> lengths = pool->map(WordLength{}, words);  // {1, 2, 3}
      std::uint64_t five = pool->apply(WordLength{}, std::string("hello"));
      auto four = pool->apply_async(WordLength{}, std::string("four"));  // four.get() == 4
      std::uint64_t total = 0;
      for (std::uint64_t n : pool->imap_unordered(WordLength{}, words)) total += n;         // 6
      std::vector<double> norms = pool->map(Norm{2}, std::vector<Point>{{3, 4}, {5, 12}});  // {10, 26}
      std::cout << "lengths " << lengths[0] << lengths[1] << lengths[2] << " five " << five << " four " << four.get()
                << " total " << total << " norms " << norms[0] << ' ' << norms[1] << '\n';
    }
  }
  return session.finish();
}
