#pragma once
/// \file
/// The wire protocol between the master (rank 0) and the workers, on the
/// session's private duplicate of the world communicator.
///
/// | tag        | direction       | payload                                                  |
/// |------------|-----------------|----------------------------------------------------------|
/// | kJob       | master → worker | JobSpec, serialized by Boost.MPI: id, name, params, trace |
/// | kTasks     | master → worker | uint64[]: job id, chunk id, n, then n task indices       |
/// | kResults   | worker → master | bytes: chunk id, n, then n task records                  |
/// | kMap       | master → worker | uint64[]: job id, pool size, n, op id; then, on the pool  |
/// |            |                 | communicator: Iscatterv(n indices), Igather(record bytes),|
/// |            |                 | Igatherv(records, in 64-byte units)                       |
/// | kStop      | master → worker | int: the exit code the worker returns                    |
///
/// A task record: uint64 index, uint8 ok, double start, double end (seconds,
/// system clock), uint64 length, then `length` bytes: the encoded result if
/// ok, else the error message. A worker sends one kResults per kTasks, in
/// order; MPI's non-overtaking rule keeps a kJob ahead of the tasks that use it.

#include <boost/serialization/string.hpp>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rankpool::detail {

enum Tag : int { kJob = 11, kTasks = 12, kResults = 13, kMap = 14, kStop = 15 };

/// Collectives travel in units of this many bytes so that gathered sizes fit
/// MPI's int counts up to 128 GiB.
inline constexpr std::size_t kUnitBytes = 64;

struct JobSpec {
  std::uint64_t id = 0;
  std::string name;
  std::string params;
  bool trace = false;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive & id & name & params & trace;
  }
};

/// One task's outcome as it travels.
struct TaskRecord {
  std::uint64_t index = 0;
  bool ok = true;
  double start = 0;
  double end = 0;
  std::string payload;  // encoded result, or the error message
};

inline void append_raw(std::string& out, const void* data, std::size_t size) {
  out.append(static_cast<const char*>(data), size);
}
template <class T>
void append_value(std::string& out, T value) {
  append_raw(out, &value, sizeof(T));
}

inline void append_record(std::string& out, const TaskRecord& record) {
  append_value<std::uint64_t>(out, record.index);
  append_value<std::uint8_t>(out, record.ok ? 1 : 0);
  append_value<double>(out, record.start);
  append_value<double>(out, record.end);
  append_value<std::uint64_t>(out, record.payload.size());
  out += record.payload;
}

/// Reads values off a received buffer; throws on a short buffer.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  T value() {
    T out;
    std::memcpy(&out, take(sizeof(T)).data(), sizeof(T));
    return out;
  }
  std::string_view take(std::size_t size) {
    if (size > bytes_.size() - offset_) throw std::runtime_error("rankpool: truncated message");
    auto out = bytes_.substr(offset_, size);
    offset_ += size;
    return out;
  }
  TaskRecord record() {
    TaskRecord out;
    out.index = value<std::uint64_t>();
    out.ok = value<std::uint8_t>() != 0;
    out.start = value<double>();
    out.end = value<double>();
    out.payload = std::string(take(value<std::uint64_t>()));
    return out;
  }
  bool done() const noexcept { return offset_ >= bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

}  // namespace rankpool::detail
