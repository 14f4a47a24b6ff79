#pragma once
/// \file
/// How task arguments and results travel: Codec<T>::encode / decode to bytes.
/// Specialise Codec for your own type to control the wire format; the
/// defaults cover trivially copyable types (raw bytes), strings, vectors of
/// trivially copyable types, tuples and pairs of any of these, and anything
/// Boost.Serialization can save.

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rankpool {

template <class T, class Enable = void>
struct Codec {
  static void encode(const T& value, std::string& out) {
    std::ostringstream stream;
    {
      boost::archive::binary_oarchive archive(stream, boost::archive::no_header);
      archive << value;
    }
    out = std::move(stream).str();
  }
  static T decode(std::string_view bytes) {
    std::istringstream stream{std::string(bytes)};
    boost::archive::binary_iarchive archive(stream, boost::archive::no_header);
    T value;
    archive >> value;
    return value;
  }
};

template <class T>
struct Codec<T, std::enable_if_t<std::is_trivially_copyable_v<T>>> {
  static void encode(const T& value, std::string& out) {
    out.assign(reinterpret_cast<const char*>(&value), sizeof(T));
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

template <class T>
struct Codec<std::vector<T>, std::enable_if_t<std::is_trivially_copyable_v<T>>> {
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

namespace detail {

/// Tuples travel as their elements, each behind its byte length.
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
    if (bytes.size() < sizeof size) throw std::length_error("rankpool: a truncated tuple arrived");
    std::memcpy(&size, bytes.data(), sizeof size);
    bytes.remove_prefix(sizeof size);
    if (size > bytes.size()) throw std::length_error("rankpool: a truncated tuple arrived");
    T value = Codec<T>::decode(bytes.substr(0, size));
    bytes.remove_prefix(size);
    return value;
  }
};

}  // namespace detail

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
