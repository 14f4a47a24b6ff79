// An argument type that holds a std::string and has no serialize: the message says what is missing.
// expect: rankpool: type T has no Codec \(T is named in the Codec<T> above\): give it a serialize\(Archive&, unsigned\)
// member
#include <rankpool/rankpool.hpp>

#include <cstdint>
#include <string>

struct Person {
  std::string name;
  int age = 0;
#ifndef RANKPOOL_COMPILE_FAIL
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & name & age;
    // clang-format on
  }
#endif
};

struct Greet {
  static constexpr const char* name = "greet";
  std::string operator()(const Person& person) const { return "hello " + person.name; }
};

std::string greet(rankpool::Pool& pool) { return pool.apply(Greet{}, Person{"Ada", 36}); }
