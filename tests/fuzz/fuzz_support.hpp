#pragma once
/// \file
/// What the fuzz targets share: a private scratch folder, and turning a broken
/// contract (an unexpected exception, a wrong result) into a crash that
/// libFuzzer records with its input.

#include <cxxabi.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>

namespace rankpool::fuzz {

/// The fuzz input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Prints "fuzz: contract broken: WHAT" and aborts: libFuzzer saves the input.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: contract broken: %s\n", what.c_str());
  std::abort();
}

/// The demangled dynamic type of `e`, for messages.
inline std::string type_name(const std::exception& e) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status),
                                                   &std::free);
  return status == 0 && name ? name.get() : typeid(e).name();
}

/// Runs `body`; the documented exception `Expected` is a clean rejection, any
/// other exception a finding.
template <class Expected, class Body>
void expect_only(Body&& body) {
  try {
    body();
  } catch (const Expected& e) {
    if (std::string_view(e.what()).empty()) fail("rejected with an empty message");
  } catch (const std::exception& e) {
    fail("unexpected " + type_name(e) + ": " + e.what());
  }
}

/// A folder under $TMPDIR (or /tmp) that only this process uses; removed at
/// a normal exit, left behind after a crash next to the reproducer.
inline const std::filesystem::path& scratch_dir() {
  // Never destroyed, so the exit handler can still read it (it is registered
  // before the object is complete, hence would run after its destructor).
  static const auto* const dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/rankpool-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create a scratch folder under " + pattern);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return new std::filesystem::path(pattern);
  }();
  return *dir;
}

/// Writes `prefix` then `bytes` to `file`, replacing it.
inline void write_file(const std::filesystem::path& file, std::string_view prefix, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << prefix;
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) fail("cannot write " + file.string());
}

}  // namespace rankpool::fuzz
