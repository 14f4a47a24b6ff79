// The type contract: what travels (Codec round trips, vector<bool> and the
// standard containers included), what is refused (pointers and views), the
// job rules as flags, and arguments that would narrow.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/job.hpp"

namespace rankpool {
namespace {

template <class T>
T round_trip(const T& value) {
  std::string bytes;
  Codec<T>::encode(value, bytes);
  return Codec<T>::decode(bytes);
}

struct Plain {
  int a = 0;
  double b = 0;
};

struct WithMember {
  std::string text;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & text;
    // clang-format on
  }
};

class WithPrivateMember {
 public:
  std::string text;

 private:
  friend class boost::serialization::access;
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    // clang-format off
    ar & text;
    // clang-format on
  }
};

struct WithFree {
  std::string text;
};
template <class Archive>
void serialize(Archive& ar, WithFree& value, unsigned) {
  // clang-format off
  ar & value.text;
  // clang-format on
}

struct WithNone {
  std::string text;
};

TEST(TypeContract, StandardContainersTravelWithoutBoostHeaders) {
  const std::vector<bool> bits{true, false, false, true, true};
  EXPECT_EQ(round_trip(bits), bits);
  EXPECT_EQ(round_trip(std::vector<bool>{}), std::vector<bool>{});
  const std::vector<std::string> words{"a", "", "ccc"};
  EXPECT_EQ(round_trip(words), words);
  const std::vector<std::vector<int>> nested{{1, 2}, {}, {3}};
  EXPECT_EQ(round_trip(nested), nested);
  const std::vector<std::tuple<std::string, int>> pairs{{"x", 1}, {"yy", 2}};
  EXPECT_EQ(round_trip(pairs), pairs);
  const std::array<std::string, 3> three{"p", "q", ""};
  EXPECT_EQ(round_trip(three), three);
  EXPECT_EQ(round_trip(std::optional<std::string>("here")), std::optional<std::string>("here"));
  EXPECT_EQ(round_trip(std::optional<std::string>()), std::optional<std::string>());
  EXPECT_EQ(round_trip(std::optional<int>(7)), std::optional<int>(7));
  const Plain plain = round_trip(Plain{3, 0.5});
  EXPECT_EQ(plain.a, 3);
  EXPECT_EQ(plain.b, 0.5);
  EXPECT_EQ(round_trip(WithMember{"m"}).text, "m");
  EXPECT_EQ(round_trip(WithFree{"f"}).text, "f");
  WithPrivateMember hidden;
  hidden.text = "p";
  EXPECT_EQ(round_trip(hidden).text, "p");
}

TEST(TypeContract, TruncatedValuesAreRefused) {
  EXPECT_THROW(Codec<std::vector<std::string>>::decode(std::string_view("\x05\0\0", 3)), std::length_error);
  EXPECT_THROW(Codec<std::optional<std::string>>::decode(""), std::length_error);
}

// Boost.Serialization support is detected: a member (private too) or free
// serialize, numbers, enums, strings; not a struct with neither.
enum class Colour { kRed };
static_assert(detail::BoostSerializable<WithMember>);
static_assert(detail::BoostSerializable<WithPrivateMember>);
static_assert(detail::BoostSerializable<WithFree>);
static_assert(detail::BoostSerializable<int>);
static_assert(detail::BoostSerializable<Colour>);
static_assert(detail::BoostSerializable<std::string>);
static_assert(!detail::BoostSerializable<WithNone>);
static_assert(!detail::BoostSerializable<std::map<int, int>>);  // <boost/serialization/map.hpp> not included

// Addresses do not travel, however they are wrapped.
static_assert(travels_v<int>);
static_assert(travels_v<std::string>);
static_assert(travels_v<std::tuple<int, std::vector<std::string>>>);
static_assert(!travels_v<const char*>);
static_assert(!travels_v<int Plain::*>);
static_assert(!travels_v<std::string_view>);
static_assert(!travels_v<std::span<const int>>);
static_assert(!travels_v<std::reference_wrapper<int>>);
static_assert(!travels_v<std::vector<std::string_view>>);
static_assert(!travels_v<std::tuple<int, std::pair<double, int*>>>);
static_assert(!travels_v<std::array<std::optional<std::span<int>>, 2>>);

// The job rules, each broken once.
struct Good {
  static constexpr const char* name = "good";
  long operator()(std::uint64_t index) const { return static_cast<long>(index); }
};
struct NoName {
  long operator()(std::uint64_t index) const { return static_cast<long>(index); }
};
struct NotConst {
  static constexpr const char* name = "not_const";
  long operator()(std::uint64_t index) { return static_cast<long>(index); }
};
struct Overloaded {
  static constexpr const char* name = "overloaded";
  long operator()(std::uint64_t index) const { return static_cast<long>(index); }
  long operator()(int index) const { return index; }
};
struct ReturnsVoid {
  static constexpr const char* name = "returns_void";
  void operator()(std::uint64_t) const {}
};
struct TakesView {
  static constexpr const char* name = "takes_view";
  std::size_t operator()(std::string_view text) const { return text.size(); }
};
struct HasParamsWithoutSerialize {
  static constexpr const char* name = "params";
  int offset = 0;
  int operator()(int x) const { return x + offset; }
};
static_assert(is_job_v<Good>);
static_assert(!is_job_v<NoName>);
static_assert(!is_job_v<NotConst>);
static_assert(!is_job_v<Overloaded>);
static_assert(!is_job_v<ReturnsVoid>);
static_assert(!is_job_v<TakesView>);
static_assert(!is_job_v<HasParamsWithoutSerialize>);

// Arguments that would narrow are refused; widening and tuples of the right kinds are not.
struct TakesInt {
  static constexpr const char* name = "takes_int";
  int operator()(int x) const { return x; }
};
struct TakesTextAndInt {
  static constexpr const char* name = "takes_text_and_int";
  std::string operator()(const std::string& text, int times) const { return text + std::to_string(times); }
};
static_assert(TaskArgs<std::vector<int>, TakesInt>);
static_assert(TaskArgs<std::vector<short>, TakesInt>);
static_assert(!TaskArgs<std::vector<double>, TakesInt>);
static_assert(!TaskArgs<std::vector<long long>, TakesInt>);
static_assert(TaskArgs<std::vector<std::tuple<std::string, int>>, TakesTextAndInt>);
static_assert(TaskArgs<std::vector<std::pair<const char*, short>>, TakesTextAndInt>);
static_assert(!TaskArgs<std::vector<std::tuple<std::string, double>>, TakesTextAndInt>);
static_assert(TaskArgs<int, Good>);
static_assert(TaskArgs<TaskSet, Good>);
static_assert(TaskArgs<std::vector<std::uint64_t>, Good>);
static_assert(!TaskArgs<double, Good>);
static_assert(TaskArgs<std::vector<int>, Good>);  // indices: any integer type
static_assert(!TaskArgs<std::vector<double>, Good>);
static_assert(TaskArg<int, Good>);
static_assert(TaskArg<short, TakesInt>);
static_assert(!TaskArg<double, TakesInt>);
static_assert(!TaskArg<double, Good>);

struct Square {
  static constexpr const char* name = "f";
  long operator()(std::uint64_t index) const { return static_cast<long>(index * index); }
};
struct Cube {
  static constexpr const char* name = "f";
  long operator()(std::uint64_t index) const { return static_cast<long>(index * index * index); }
};

TEST(TypeContract, DuplicateNamesAreRefusedWhenRegistered) {
  JobRegistry registry;
  registry.add<Square>().add<Square>();  // the same type again changes nothing
  try {
    registry.add<Cube>();
    FAIL() << "no exception";
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("job name 'f' is registered twice: by ", 0), 0u) << message;
    EXPECT_NE(message.find("Square"), std::string::npos) << message;
    EXPECT_NE(message.find("Cube"), std::string::npos) << message;
  }
  registry.add<Good>().add<TakesInt>();
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"f", "good", "takes_int"}));
}

}  // namespace
}  // namespace rankpool

namespace stop_token_jobs {

struct Stoppable {
  static constexpr const char* name = "stoppable";
  long operator()(std::uint64_t index, std::stop_token stop) const {
    return stop.stop_requested() ? -1 : static_cast<long>(index);
  }
};
struct StoppablePair {
  static constexpr const char* name = "stoppable_pair";
  int operator()(int a, int b, std::stop_token) const { return a + b; }
};
struct Plain {
  static constexpr const char* name = "plain";
  int operator()(int a) const { return a; }
};

}  // namespace stop_token_jobs

// A trailing std::stop_token is not part of what a task takes.
static_assert(rankpool::takes_stop_token<stop_token_jobs::Stoppable>);
static_assert(rankpool::takes_index<stop_token_jobs::Stoppable>);
static_assert(std::is_same_v<rankpool::job_arg_t<stop_token_jobs::StoppablePair>, std::tuple<int, int>>);
static_assert(rankpool::takes_stop_token<stop_token_jobs::StoppablePair>);
static_assert(!rankpool::takes_stop_token<stop_token_jobs::Plain>);

TEST(TypeContract, AJobThatTakesAStopTokenSeesTheOneItIsGiven) {
  std::stop_source source;
  rankpool::TypedTaskRunner<stop_token_jobs::Stoppable> runner{stop_token_jobs::Stoppable{}};
  EXPECT_TRUE(runner.takes_stop_token());
  EXPECT_EQ(rankpool::Codec<long>::decode(runner.run(7, {}, source.get_token())), 7);
  source.request_stop();
  EXPECT_EQ(rankpool::Codec<long>::decode(runner.run(7, {}, source.get_token())), -1);
  EXPECT_EQ(rankpool::invoke_job(stop_token_jobs::StoppablePair{}, std::tuple<int, int>{2, 3}), 5);
}
