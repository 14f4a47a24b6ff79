#pragma once
/// \file
/// How task arguments and results travel: Codec<T>::encode / decode to bytes.
///
/// What a type needs to travel, one of:
/// - nothing, if it is trivially copyable (numbers, enums, plain structs of
///   them): its bytes travel as they are;
/// - nothing, if it is `std::string`, or a `std::vector`, `std::array`,
///   `std::optional`, `std::tuple` or `std::pair` of types that travel
///   (`std::vector<bool>` included);
/// - a Boost.Serialization `serialize` for anything else: a member
///   `template <class Archive> void serialize(Archive& ar, unsigned) { ar & a & b; }`
///   (or a free `serialize(Archive&, T&, unsigned)`), and Boost's header for
///   each standard container the type holds: `<boost/serialization/vector.hpp>`,
///   `<boost/serialization/map.hpp>`, `<boost/serialization/string.hpp>`, ...;
///   a type with neither gets a compile error that says so;
/// - or a specialisation of Codec<T> of your own, to choose the wire format.
///
/// Addresses never travel: a worker is another process, maybe on another
/// host. Pointers, member pointers, `std::string_view`, `std::span`,
/// `std::reference_wrapper`, `std::initializer_list`, and any tuple, pair,
/// vector, array or optional holding one, are refused at compile time as a
/// job's argument or result (take `std::string` or `std::vector` instead).
/// The limit: a struct of your own that holds a pointer and is trivially
/// copyable would still travel as its bytes, and C++ cannot see inside it to
/// refuse it; keep such members out of what travels, or give the type a
/// `serialize` that saves the values it points to.

#include <array>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/level.hpp>
#include <boost/serialization/serialization.hpp>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

/// The rule a pointer or view breaks, as every static_assert that refuses one says it.
#define RANKPOOL_TRAVEL_RULE                                                                                \
  "rankpool: a job's argument and result travel between processes: pointers and views (string_view, span) " \
  "cannot; take std::string / std::vector instead"

namespace rankpool {

namespace detail {

/// Whether T is or holds (in a standard wrapper C++ can see into) an address:
/// a pointer, a view or a reference.
template <class T>
struct HoldsAddress
    : std::bool_constant<std::is_pointer_v<T> || std::is_member_pointer_v<T> || std::is_reference_v<T>> {};
template <class C, class Traits>
struct HoldsAddress<std::basic_string_view<C, Traits>> : std::true_type {};
template <class T, std::size_t N>
struct HoldsAddress<std::span<T, N>> : std::true_type {};
template <class T>
struct HoldsAddress<std::reference_wrapper<T>> : std::true_type {};
template <class T>
struct HoldsAddress<std::initializer_list<T>> : std::true_type {};
template <class T>
struct HoldsAddress<const T> : HoldsAddress<T> {};
template <class T, std::size_t N>
struct HoldsAddress<std::array<T, N>> : HoldsAddress<T> {};
template <class T, class A>
struct HoldsAddress<std::vector<T, A>> : HoldsAddress<T> {};
template <class T>
struct HoldsAddress<std::optional<T>> : HoldsAddress<T> {};
template <class A, class B>
struct HoldsAddress<std::pair<A, B>> : std::bool_constant<HoldsAddress<A>::value || HoldsAddress<B>::value> {};
template <class... Ts>
struct HoldsAddress<std::tuple<Ts...>> : std::bool_constant<(HoldsAddress<Ts>::value || ...)> {};

}  // namespace detail

/// Whether values of T may travel between processes: false for pointers and
/// views, and the standard wrappers of them (see the file's notes).
template <class T>
inline constexpr bool travels_v = !detail::HoldsAddress<T>::value;

namespace detail {

namespace serialize_probe {

// Declared, never defined: as specialised as Boost's catch-all `serialize`, so
// a call that finds only the catch-all is ambiguous, and one that finds a
// `serialize` written for the type picks it.
template <class Archive, class T>
void serialize(Archive&, T&, const unsigned int);

// Boost.Serialization's own lookup passes a version_type, whose namespace
// brings in the free functions its headers (vector.hpp, map.hpp, ...) declare.
template <class T>
concept FreeSerialize = requires(boost::archive::binary_oarchive& archive, T& value,
                                 const boost::serialization::version_type version) {
  serialize(archive, value, version);
};

struct Other {
  void serialize();
};
template <class T>
struct Both : T, Other {};

// A member named serialize, private ones included (Boost reaches those as a
// friend): the name is ambiguous in Both<T> exactly when T has one.
template <class T>
concept MemberSerialize = std::is_class_v<T> &&(std::is_final_v<T> || !requires { &Both<T>::serialize; });

}  // namespace serialize_probe

/// Whether Boost.Serialization can save T: a number, an enum, a string, or a
/// type with a member or free `serialize` (a standard container's comes from
/// its Boost header).
template <class T>
concept BoostSerializable =
    boost::serialization::implementation_level<T>::value == boost::serialization::primitive_type ||
    serialize_probe::FreeSerialize<T> || serialize_probe::MemberSerialize<T>;

}  // namespace detail

/// Bytes for a value of T and back. The default: Boost.Serialization (binary archive).
template <class T, class Enable = void>
struct Codec {
  static_assert(detail::BoostSerializable<T>,
                "rankpool: type T has no Codec (T is named in the Codec<T> above): give it a "
                "serialize(Archive&, unsigned) member (and include <boost/serialization/vector.hpp> etc. for the "
                "standard containers it holds), or specialise rankpool::Codec<T>");
  static void encode(const T& value, std::string& out) {
    if constexpr (detail::BoostSerializable<T>) {
      std::ostringstream stream;
      {
        boost::archive::binary_oarchive archive(stream, boost::archive::no_header);
        archive << value;
      }
      out = std::move(stream).str();
    }
  }
  static T decode(std::string_view bytes) {
    T value;
    if constexpr (detail::BoostSerializable<T>) {
      std::istringstream stream{std::string(bytes)};
      boost::archive::binary_iarchive archive(stream, boost::archive::no_header);
      archive >> value;
    }
    return value;
  }
};

/// Trivially copyable types travel as their bytes.
template <class T>
struct Codec<T, std::enable_if_t<std::is_trivially_copyable_v<T>>> {
  static_assert(travels_v<T>, RANKPOOL_TRAVEL_RULE);
  static void encode(const T& value, std::string& out) {
    // resize + memcpy, not assign(ptr, n): GCC 12 warns (-Wrestrict) about a 1-byte assign.
    out.resize(sizeof(T));
    std::memcpy(out.data(), &value, sizeof(T));
  }
  static T decode(std::string_view bytes) {
    if (bytes.size() != sizeof(T)) throw std::length_error("rankpool: a value of the wrong size arrived");
    T value;
    std::memcpy(static_cast<void*>(&value), bytes.data(), sizeof(T));
    return value;
  }
};

template <>
struct Codec<std::string> {
  static void encode(const std::string& value, std::string& out) { out = value; }
  static void encode(std::string&& value, std::string& out) { out = std::move(value); }
  static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

/// Vectors of trivially copyable types (bool aside) travel as their elements' bytes.
template <class T>
struct Codec<std::vector<T>, std::enable_if_t<std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>>> {
  static_assert(travels_v<T>, RANKPOOL_TRAVEL_RULE);
  static void encode(const std::vector<T>& value, std::string& out) {
    out.clear();
    if (!value.empty()) out.assign(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(T));
  }
  static std::vector<T> decode(std::string_view bytes) {
    if (bytes.size() % sizeof(T) != 0) throw std::length_error("rankpool: a vector of the wrong size arrived");
    std::vector<T> value(bytes.size() / sizeof(T));
    if (!value.empty()) std::memcpy(static_cast<void*>(value.data()), bytes.data(), bytes.size());
    return value;
  }
};

/// std::vector<bool> (packed, no data()): one byte per element.
template <>
struct Codec<std::vector<bool>> {
  static void encode(const std::vector<bool>& value, std::string& out) {
    out.assign(value.size(), '\0');
    for (std::size_t i = 0; i < value.size(); ++i)
      if (value[i]) out[i] = '\1';
  }
  static std::vector<bool> decode(std::string_view bytes) {
    std::vector<bool> value(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) value[i] = bytes[i] != '\0';
    return value;
  }
};

namespace detail {

/// Fields of a tuple, pair or container travel one after another, each behind its byte length.
struct FieldCodec {
  template <class T>
  static void put(const T& value, std::string& out) {
    std::string bytes;
    Codec<T>::encode(value, bytes);
    const std::uint64_t size = bytes.size();
    out.append(reinterpret_cast<const char*>(&size), sizeof size);
    out += bytes;
  }
  template <class T>
  static T get(std::string_view& bytes) {
    std::uint64_t size = 0;
    if (bytes.size() < sizeof size) throw std::length_error("rankpool: a truncated value arrived");
    std::memcpy(&size, bytes.data(), sizeof size);
    bytes.remove_prefix(sizeof size);
    if (size > bytes.size()) throw std::length_error("rankpool: a truncated value arrived");
    T value = Codec<T>::decode(bytes.substr(0, size));
    bytes.remove_prefix(size);
    return value;
  }
};

/// Types whose Codec needs no Boost.Serialization: what travels field by
/// field in a vector, array or optional (other element types go through
/// Boost, whose container headers the user includes).
template <class T>
struct NativeCodec : std::bool_constant<std::is_trivially_copyable_v<T>> {};
template <>
struct NativeCodec<std::string> : std::true_type {};
template <class T, class A>
struct NativeCodec<std::vector<T, A>> : NativeCodec<T> {};
template <class T, std::size_t N>
struct NativeCodec<std::array<T, N>> : NativeCodec<T> {};
template <class T>
struct NativeCodec<std::optional<T>> : NativeCodec<T> {};
template <class A, class B>
struct NativeCodec<std::pair<A, B>> : std::bool_constant<NativeCodec<A>::value && NativeCodec<B>::value> {};
template <class... Ts>
struct NativeCodec<std::tuple<Ts...>> : std::bool_constant<(NativeCodec<Ts>::value && ...)> {};

template <class T>
concept FieldWise = NativeCodec<T>::value && !std::is_trivially_copyable_v<T>;

}  // namespace detail

/// Vectors of strings, vectors, tuples, ...: element by element.
template <class T>
struct Codec<std::vector<T>, std::enable_if_t<detail::FieldWise<T>>> {
  static void encode(const std::vector<T>& value, std::string& out) {
    out.clear();
    for (const T& element : value) detail::FieldCodec::put(element, out);
  }
  static std::vector<T> decode(std::string_view bytes) {
    std::vector<T> value;
    while (!bytes.empty()) value.push_back(detail::FieldCodec::get<T>(bytes));
    return value;
  }
};

template <class T, std::size_t N>
struct Codec<std::array<T, N>, std::enable_if_t<detail::FieldWise<T>>> {
  static void encode(const std::array<T, N>& value, std::string& out) {
    out.clear();
    for (const T& element : value) detail::FieldCodec::put(element, out);
  }
  static std::array<T, N> decode(std::string_view bytes) {
    std::array<T, N> value;
    for (T& element : value) element = detail::FieldCodec::get<T>(bytes);
    return value;
  }
};

/// An optional that is not trivially copyable: a flag byte, then the value.
template <class T>
struct Codec<std::optional<T>, std::enable_if_t<!std::is_trivially_copyable_v<std::optional<T>>>> {
  static void encode(const std::optional<T>& value, std::string& out) {
    out.assign(1, value ? '\1' : '\0');
    if (value) detail::FieldCodec::put(*value, out);
  }
  static std::optional<T> decode(std::string_view bytes) {
    if (bytes.empty()) throw std::length_error("rankpool: a truncated value arrived");
    const bool present = bytes[0] != '\0';
    bytes.remove_prefix(1);
    if (!present) return std::nullopt;
    return detail::FieldCodec::get<T>(bytes);
  }
};

template <class... Ts>
struct Codec<std::tuple<Ts...>, std::enable_if_t<!std::is_trivially_copyable_v<std::tuple<Ts...>>>> {
  static void encode(const std::tuple<Ts...>& value, std::string& out) {
    out.clear();
    std::apply([&](const auto&... field) { (detail::FieldCodec::put(field, out), ...); }, value);
  }
  static std::tuple<Ts...> decode(std::string_view bytes) {
    // Braced initialisation evaluates left to right.
    return std::tuple<Ts...>{detail::FieldCodec::get<Ts>(bytes)...};
  }
};

template <class A, class B>
struct Codec<std::pair<A, B>, std::enable_if_t<!std::is_trivially_copyable_v<std::pair<A, B>>>> {
  static void encode(const std::pair<A, B>& value, std::string& out) {
    out.clear();
    detail::FieldCodec::put(value.first, out);
    detail::FieldCodec::put(value.second, out);
  }
  static std::pair<A, B> decode(std::string_view bytes) {
    A first = detail::FieldCodec::get<A>(bytes);
    B second = detail::FieldCodec::get<B>(bytes);
    return {std::move(first), std::move(second)};
  }
};

}  // namespace rankpool
