#pragma once
/// \file
/// How a job's result type travels: Codec<T>::encode / decode to bytes.
/// Specialise Codec for your own type to control the wire format; the
/// defaults cover trivially copyable types, strings, vectors of trivially
/// copyable types, and anything Boost.Serialization can save.

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
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
    T value{};
    std::memcpy(&value, bytes.data(), bytes.size() < sizeof(T) ? bytes.size() : sizeof(T));
    return value;
  }
};

template <>
struct Codec<std::string> {
  static void encode(const std::string& value, std::string& out) { out = value; }
  static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

template <class T>
struct Codec<std::vector<T>, std::enable_if_t<std::is_trivially_copyable_v<T>>> {
  static void encode(const std::vector<T>& value, std::string& out) {
    out.clear();
    if (!value.empty()) out.assign(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(T));
  }
  static std::vector<T> decode(std::string_view bytes) {
    std::vector<T> value(bytes.size() / sizeof(T));
    if (!value.empty()) std::memcpy(value.data(), bytes.data(), value.size() * sizeof(T));
    return value;
  }
};

}  // namespace rankpool
