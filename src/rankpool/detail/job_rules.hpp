#pragma once
/// \file
/// The rules a job type keeps, checked where it is used, one static_assert
/// per rule, so that a broken job reads as the rule it breaks; and the
/// no-narrowing rule for the arguments a call passes.

#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "rankpool/codec.hpp"

namespace rankpool::detail {

/// The shape of a pointer to a call operator: const or not, argument and result.
template <class F>
struct CallTraits {
  static constexpr bool matched = false;
  static constexpr bool is_const = false;
  static constexpr bool stoppable = false;
  static constexpr std::size_t arity = 0;
  using argument = void;
  using result = void;
};
/// A call operator taking As... (a trailing std::stop_token already left out when `Stoppable`).
template <bool Const, bool Stoppable, class R, class... As>
struct CallShapeOf {
  static constexpr bool matched = true;
  static constexpr bool is_const = Const;
  static constexpr bool stoppable = Stoppable;
  static constexpr std::size_t arity = sizeof...(As);
  using result = std::decay_t<R>;
  using argument = std::conditional_t<arity == 1, std::decay_t<std::tuple_element_t<0, std::tuple<As..., void>>>,
                                      std::tuple<std::decay_t<As>...>>;
};
/// Whether the last of As is a std::stop_token: the task can be asked to stop.
template <class... As>
struct LastIsStopToken : std::false_type {};
template <class A>
struct LastIsStopToken<A> : std::is_same<std::decay_t<A>, std::stop_token> {};
template <class A, class B, class... Rest>
struct LastIsStopToken<A, B, Rest...> : LastIsStopToken<B, Rest...> {};
template <bool Const, class R, class Params, class = std::make_index_sequence<std::tuple_size_v<Params> - 1>>
struct WithoutStopToken;
template <bool Const, class R, class... As, std::size_t... I>
struct WithoutStopToken<Const, R, std::tuple<As...>, std::index_sequence<I...>>
    : CallShapeOf<Const, true, R, std::tuple_element_t<I, std::tuple<As...>>...> {};
template <bool Const, class R, class... As>
struct CallShape : std::conditional_t<LastIsStopToken<As...>::value, WithoutStopToken<Const, R, std::tuple<As...>>,
                                      CallShapeOf<Const, false, R, As...>> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) const> : CallShape<true, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) const noexcept> : CallShape<true, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) const&> : CallShape<true, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) const& noexcept> : CallShape<true, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...)> : CallShape<false, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) noexcept> : CallShape<false, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...)&> : CallShape<false, R, As...> {};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) &&> : CallShape<false, R, As...> {};

/// J's call operator's shape, or an unmatched one when J has none, several,
/// or a template (its address cannot be taken).
template <class J>
struct CallOf {
  using type = CallTraits<void>;
};
template <class J>
requires requires { &J::operator(); }
struct CallOf<J> {
  using type = CallTraits<decltype(&J::operator())>;
};

/// Each rule as a flag, in the order they are checked; `ok` when J keeps them all.
template <class J>
struct JobRules {
  using Call = typename CallOf<J>::type;
  static constexpr bool is_class = std::is_class_v<J>;
  static constexpr bool named = is_class && requires {
    { J::name } -> std::convertible_to<std::string_view>;
  };
  static constexpr bool constructible = std::is_default_constructible_v<J> && std::is_move_constructible_v<J>;
  static constexpr bool one_call = Call::matched;
  static constexpr bool is_const = Call::is_const;
  static constexpr bool takes_argument = Call::arity >= 1;
  static constexpr bool returns = !std::is_void_v<typename Call::result>;
  static constexpr bool travel = travels_v<typename Call::argument> && travels_v<typename Call::result>;
  static constexpr bool parameters_travel = std::is_empty_v<J> || BoostSerializable<J>;
  static constexpr bool ok = is_class && named && constructible && one_call && is_const && takes_argument && returns &&
                             travel && parameters_travel;
};

/// JobRules as static_asserts: only the first rule J breaks fails (each
/// assert holds when an earlier rule already failed), so one message shows.
template <class J>
struct JobCheck : JobRules<J> {
  using R = JobRules<J>;
  static_assert(R::is_class, "rankpool: a job is a class type: a name, parameters, and a const call operator");
  static_assert(!R::is_class || R::named,
                "rankpool: a job needs a name: static constexpr const char* name = \"...\"; "
                "(workers rebuild the job from that name)");
  static_assert(!R::named || R::constructible,
                "rankpool: a job must be default-constructible and movable: a worker makes one and loads "
                "its parameters into it");
  static_assert(!(R::named && R::constructible) || R::one_call,
                "rankpool: a job needs exactly one call operator, neither overloaded nor a template: "
                "R operator()(Arg) const (its argument and result types say what travels)");
  static_assert(!(R::named && R::constructible && R::one_call) || R::is_const,
                "rankpool: a job's operator() must be const (one job value runs many tasks; state made "
                "once belongs in setup())");
  static constexpr bool shaped = R::named && R::constructible && R::one_call && R::is_const;
  static_assert(!shaped || R::takes_argument,
                "rankpool: a job's operator() takes one task's argument: a task index (std::uint64_t), "
                "a value, or several values (starmap)");
  static_assert(!(shaped && R::takes_argument) || R::returns,
                "rankpool: a job's operator() must return its result: void cannot travel back to the "
                "master (return a value, e.g. bool)");
  static_assert(!(shaped && R::takes_argument && R::returns) || R::travel, RANKPOOL_TRAVEL_RULE);
  static_assert(!(shaped && R::takes_argument && R::returns && R::travel) || R::parameters_travel,
                "rankpool: a job with parameters (data members) needs "
                "template <class Archive> void serialize(Archive&, unsigned) to send them to the workers");
};

/// What a job's tasks take and return; placeholders when J breaks a rule (its
/// static_assert has said which), so the error does not cascade.
template <class J, bool = JobCheck<J>::ok>
struct JobTypes {
  using argument = typename JobRules<J>::Call::argument;
  using result = typename JobRules<J>::Call::result;
  static constexpr std::size_t arity = JobRules<J>::Call::arity;
  static constexpr bool stoppable = JobRules<J>::Call::stoppable;
};
template <class J>
struct JobTypes<J, false> {
  using argument = std::uint64_t;
  using result = int;
  static constexpr std::size_t arity = 1;
  static constexpr bool stoppable = false;
};

/// Whether J keeps every job rule, checking them (a failed rule is a compile
/// error with its message); the one gate for registering and calling a job.
template <class J>
constexpr bool check_job() {
  return JobCheck<J>::ok;
}

/// A value of type From initialises a To without narrowing (as braces
/// require: no double → int, no int64 → int32, no int → double), and
/// implicitly. Tuples and pairs are checked element by element.
template <class From, class To>
    struct NoNarrowing : std::bool_constant < std::is_convertible_v<From, To>&& requires {
  To{std::declval<From>()};
} > {};

template <class From, class To, class = std::make_index_sequence<std::tuple_size_v<To>>>
struct ElementsNoNarrowing;
template <class From, class To, std::size_t... I>
struct ElementsNoNarrowing<From, To, std::index_sequence<I...>>
    : std::bool_constant<(
          NoNarrowing<decltype(std::get<I>(std::declval<From>())), std::tuple_element_t<I, To>>::value && ...)> {};

template <class T>
struct IsTupleLike : std::false_type {};
template <class... Ts>
struct IsTupleLike<std::tuple<Ts...>> : std::true_type {};
template <class A, class B>
struct IsTupleLike<std::pair<A, B>> : std::true_type {};

template <class From, class To, bool = IsTupleLike<std::remove_cvref_t<From>>::value>
struct TupleNoNarrowing : std::bool_constant<std::is_convertible_v<From, To>> {};
template <class From, class To>
struct TupleNoNarrowing<From, To, true>
    : std::conjunction<std::bool_constant<std::is_convertible_v<From, To> &&
                                          std::tuple_size_v<std::remove_cvref_t<From>> == std::tuple_size_v<To>>,
                       ElementsNoNarrowing<From, To>> {};
template <class From, class... Us>
struct NoNarrowing<From, std::tuple<Us...>> : TupleNoNarrowing<From, std::tuple<Us...>> {};
template <class From, class A, class B>
struct NoNarrowing<From, std::pair<A, B>> : TupleNoNarrowing<From, std::pair<A, B>> {};

}  // namespace rankpool::detail
