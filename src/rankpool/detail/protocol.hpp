#pragma once
/// \file
/// The wire protocol between the master (rank 0) and the workers, on the
/// session's private duplicate of the world communicator. Every message is
/// built and read here, and nowhere else.
///
/// | tag      | direction       | payload                                                     |
/// |----------|-----------------|-------------------------------------------------------------|
/// | kJob     | master → worker | JobSpec: id, name, parameters, trace flag                   |
/// | kForget  | master → worker | u64 job id: no task of that job will come again             |
/// | kTasks   | master → worker | ChunkHeader (job id, chunk id, n, argument kind), n tasks   |
/// | kResults | worker → master | ResultsHeader (chunk id, n), n task records                 |
/// | kMap     | master → worker | MapHeader (job id, pool size, n, units, kind, chunk id,     |
/// |          |                 | deal chunk, blocking); then, on the pool communicator,      |
/// |          |                 | (I)scatterv(tasks, in 64-byte units); the worker answers    |
/// |          |                 | with kResults for that chunk id as its tasks finish         |
/// | kStop    | master → worker | i32: the exit code the worker returns                       |
/// | kWait    | master → worker | u8: 1 if the worker may block (spin) while idle, else 0     |
/// | kPiece   | either          | the rest of a message larger than one piece (transport.hpp) |
/// | kLease   | worker → master | LeaseRequest: a budget's name, its rate, slots wanted       |
/// | kGrant   | master → worker | LeaseGrant: the budget's name, n slots: first, spacing      |
/// | kCancel  | master → worker | u64 n, n chunk ids: chunks of terminated calls; the worker  |
/// |          |                 | answers their tasks not started as failed, unrun            |
///
/// Every point-to-point message starts with its total length (u64), so one
/// of any size can travel in pieces. Tasks: for an index job, n u64 indices;
/// else n × (u64 index, u64 length, encoded argument). A task record: u64
/// index, u8 ok, f64 start, f64 end (system-clock seconds), sized payload
/// (the encoded result, or the error message), sized error type (failures
/// only). A worker answers each kTasks with one kResults, in order, and a
/// kMap with kResults of its share in order, a few at a time; MPI's
/// non-overtaking rule keeps a kJob (and a kWait) ahead of the tasks after it.
///
/// Each message struct lists its fields once, in wire order, in a hidden
/// friend `fields(archive, message)`; write() and read() both walk that list
/// (ByteWriter and ByteReader are the archives, as in Boost.Serialization).
/// A new message is a struct, its `fields`, and a row in the table above.

#include <concepts>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rankpool/task_result.hpp"

namespace rankpool::detail {

enum Tag : int {
  kJob = 11,
  kTasks = 12,
  kResults = 13,
  kMap = 14,
  kStop = 15,
  kForget = 16,
  kPiece = 17,
  kWait = 18,
  kLease = 19,
  kGrant = 20,
  kCancel = 21
};

/// Bytes of the length every point-to-point message starts with.
inline constexpr std::size_t kFrameBytes = 8;

/// Collectives travel in units of this many bytes so that MPI's int counts
/// reach 128 GiB per rank.
inline constexpr std::size_t kUnitBytes = 64;

/// Builds one message: the frame's length slot, then values and byte strings.
class ByteWriter {
 public:
  /// `framed`: start with the length slot (point-to-point); else raw (collectives).
  explicit ByteWriter(bool framed = true) : ByteWriter(std::string(), framed) {}
  /// Writes into `buffer`, whose contents are dropped but whose capacity is
  /// kept: a message the size of the last one then needs no fresh memory.
  explicit ByteWriter(std::string buffer, bool framed = true) : framed_(framed), out_(std::move(buffer)) {
    out_.assign(framed_ ? kFrameBytes : 0, '\0');
  }
  template <class T>
  void value(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void bytes(std::string_view data) { out_.append(data.data(), data.size()); }
  void sized(std::string_view data) {
    value<std::uint64_t>(data.size());
    bytes(data);
  }
  /// Writes one message field: a bool as one byte 0 or 1, a string sized,
  /// any other value as its bytes. Returns *this, to chain: `out & a & b`.
  template <class T>
  ByteWriter& operator&(const T& field) {
    if constexpr (std::same_as<T, bool>)
      value<std::uint8_t>(field ? 1 : 0);
    else if constexpr (std::same_as<T, std::string>)
      sized(field);
    else
      value(field);
    return *this;
  }
  std::size_t size() const noexcept { return out_.size(); }
  /// What has been written so far.
  std::string_view view() const noexcept { return out_; }
  /// Overwrites a value written earlier at byte `offset` (e.g. a count known only later).
  template <class T>
  void patch(std::size_t offset, T v) {
    std::memcpy(out_.data() + offset, &v, sizeof v);
  }
  /// Pads with zeros to a whole number of collective units.
  void pad_to_units() { out_.resize((out_.size() + kUnitBytes - 1) / kUnitBytes * kUnitBytes, '\0'); }
  /// The finished message, its length slot filled in.
  std::string finish() && {
    if (framed_) {
      const std::uint64_t total = out_.size();
      std::memcpy(out_.data(), &total, sizeof total);
    }
    return std::move(out_);
  }

 private:
  bool framed_;
  std::string out_;
};

/// Reads values off a received message; throws on a short one.
class ByteReader {
 public:
  /// `framed`: skip the length slot a point-to-point message starts with.
  explicit ByteReader(std::string_view bytes, bool framed = true) : bytes_(bytes) {
    if (framed) take(kFrameBytes);
  }
  template <class T>
  T value() {
    T out;
    std::memcpy(static_cast<void*>(&out), take(sizeof(T)).data(), sizeof(T));
    return out;
  }
  std::string_view take(std::size_t size) {
    if (size > bytes_.size() - offset_) throw std::runtime_error("rankpool: truncated message");
    auto out = bytes_.substr(offset_, size);
    offset_ += size;
    return out;
  }
  std::string_view sized() { return take(value<std::uint64_t>()); }
  /// Reads one message field as ByteWriter's `operator&` wrote it.
  template <class T>
  ByteReader& operator&(T& field) {
    if constexpr (std::same_as<T, bool>)
      field = value<std::uint8_t>() != 0;
    else if constexpr (std::same_as<T, std::string>)
      field = std::string(sized());
    else
      field = value<T>();
    return *this;
  }
  bool done() const noexcept { return offset_ >= bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

/// `M` is the message struct `T`, const (to write) or not (to read).
template <class M, class T>
concept MessageOf = std::same_as<std::remove_const_t<M>, T>;

/// A job as the workers receive it.
struct JobSpec {
  std::uint64_t id = 0;
  std::string name;
  std::string params;
  bool trace = false;
  bool operator==(const JobSpec&) const = default;
  // clang-format off
  friend void fields(auto& ar, MessageOf<JobSpec> auto& m) { ar & m.id & m.name & m.params & m.trace; }
  // clang-format on
};

/// How a chunk carries its tasks' arguments.
enum class ArgKind : std::uint8_t { kIndex = 0, kTyped = 1 };

struct ChunkHeader {
  std::uint64_t job_id = 0;
  std::uint64_t chunk_id = 0;
  std::uint64_t count = 0;
  ArgKind kind = ArgKind::kIndex;
  bool operator==(const ChunkHeader&) const = default;
  // clang-format off
  friend void fields(auto& ar, MessageOf<ChunkHeader> auto& m) { ar & m.job_id & m.chunk_id & m.count & m.kind; }
  // clang-format on
};

struct ResultsHeader {
  std::uint64_t chunk_id = 0;
  std::uint64_t count = 0;
  bool operator==(const ResultsHeader&) const = default;
  // clang-format off
  friend void fields(auto& ar, MessageOf<ResultsHeader> auto& m) { ar & m.chunk_id & m.count; }
  // clang-format on
};

struct MapHeader {
  std::uint64_t job_id = 0;
  std::uint64_t pool_size = 0;
  std::uint64_t count = 0;  ///< tasks for this worker
  std::uint64_t units = 0;  ///< collective units its tasks take
  ArgKind kind = ArgKind::kIndex;
  std::uint64_t chunk_id = 0;  ///< what the worker's kResults for its share carry
  std::uint64_t deal = 1;      ///< tasks per dealt chunk: the worker runs them this many at a time
  bool blocking = false;       ///< the scatter is MPI_Scatterv, else MPI_Iscatterv
  bool operator==(const MapHeader&) const = default;
  friend void fields(auto& ar, MessageOf<MapHeader> auto& m) {
    // clang-format off
    ar & m.job_id & m.pool_size & m.count & m.units & m.kind & m.chunk_id & m.deal & m.blocking;
    // clang-format on
  }
};

/// One task's outcome as it travels.
struct TaskRecord {
  std::uint64_t index = 0;
  bool ok = true;
  double start = 0;
  double end = 0;
  std::string payload;     // encoded result, or the error message
  std::string error_type;  // failures only: the exception's type
  bool operator==(const TaskRecord&) const = default;
  friend void fields(auto& ar, MessageOf<TaskRecord> auto& m) {
    // clang-format off
    ar & m.index & m.ok & m.start & m.end & m.payload;
    if (!m.ok) ar & m.error_type;
    // clang-format on
  }
};

/// The tasks of one chunk, as views into the received message.
struct TaskList {
  ArgKind kind = ArgKind::kIndex;
  std::vector<std::uint64_t> indices;
  std::vector<std::string_view> args;  // kTyped only
  std::size_t size() const noexcept { return indices.size(); }
};

/// A struct with a `fields` list: JobSpec, ChunkHeader, ResultsHeader, MapHeader, TaskRecord,
/// LeaseRequest, LeaseSlots, LeaseGrant.
template <class M>
concept Message = requires(ByteReader& in, M& m) {
  fields(in, m);
};

/// Appends `message`'s fields to `out`, in wire order.
template <Message M>
void write(ByteWriter& out, const M& message) {
  fields(out, message);
}
/// Reads a whole `M` off `in`; throws std::runtime_error on a short message.
template <Message M>
M read(ByteReader& in) {
  M message;
  fields(in, message);
  return message;
}

inline JobSpec read_job(ByteReader& in) { return read<JobSpec>(in); }
inline ChunkHeader read_chunk_header(ByteReader& in) { return read<ChunkHeader>(in); }
inline ResultsHeader read_results_header(ByteReader& in) { return read<ResultsHeader>(in); }
inline MapHeader read_map_header(ByteReader& in) { return read<MapHeader>(in); }
inline TaskRecord read_record(ByteReader& in) { return read<TaskRecord>(in); }

/// What a call's sink receives for a task record: the task at `position` in its call, run on `rank`.
inline TaskResult result_of(TaskRecord&& record, std::uint64_t position, int rank) {
  return TaskResult{position,
                    record.index,
                    rank,
                    record.ok,
                    std::move(record.payload),
                    record.start,
                    record.end,
                    false,
                    std::move(record.error_type)};
}

/// One task: its index, and its encoded argument unless the job takes indices.
inline void write_task(ByteWriter& out, ArgKind kind, std::uint64_t index, std::string_view arg) {
  out.value(index);
  if (kind == ArgKind::kTyped) out.sized(arg);
}
/// The index of the first task of tasks written by write_task (0 if there are none).
inline std::uint64_t first_task_index(std::string_view tasks) {
  std::uint64_t index = 0;
  if (tasks.size() >= sizeof index) std::memcpy(&index, tasks.data(), sizeof index);
  return index;
}
inline TaskList read_tasks(ByteReader& in, ArgKind kind, std::uint64_t count) {
  TaskList tasks;
  tasks.kind = kind;
  tasks.indices.reserve(count);
  if (kind == ArgKind::kTyped) tasks.args.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    tasks.indices.push_back(in.value<std::uint64_t>());
    if (kind == ArgKind::kTyped) tasks.args.push_back(in.sized());
  }
  return tasks;
}

/// A kTasks message being built: its header, then tasks appended with
/// write_task (TaskSource::take); the task count goes in when it is finished.
class TasksMessage {
 public:
  explicit TasksMessage(const ChunkHeader& header) {
    write(out_, header);
    tasks_at_ = out_.size();
  }
  /// Where the tasks go.
  ByteWriter& tasks() noexcept { return out_; }
  /// The index of the first task written (0 if none yet).
  std::uint64_t first_index() const { return first_task_index(out_.view().substr(tasks_at_)); }
  /// The message, its header's count set to `count`.
  std::string finish(std::uint64_t count) && {
    out_.patch(kCountAt, count);
    return std::move(out_).finish();
  }

 private:
  // ChunkHeader's count follows the frame, the job id and the chunk id.
  static constexpr std::size_t kCountAt = kFrameBytes + 2 * sizeof(std::uint64_t);
  ByteWriter out_;
  std::size_t tasks_at_ = 0;
};

/// Answers a kTasks message (read from `in`, past its frame): reads the
/// chunk's tasks and returns the kResults message that `run(header, tasks,
/// out)` fills with one record per task, written into `buffer`'s capacity.
template <class Run>
std::string answer_tasks(ByteReader& in, std::string buffer, Run&& run) {
  const ChunkHeader header = read<ChunkHeader>(in);
  const TaskList tasks = read_tasks(in, header.kind, header.count);
  ByteWriter out(std::move(buffer));
  write(out, ResultsHeader{header.chunk_id, header.count});
  run(header, tasks, out);
  return std::move(out).finish();
}

/// A kCancel message naming these chunks.
inline std::string write_cancel(const std::vector<std::uint64_t>& chunk_ids) {
  ByteWriter out;
  out.value<std::uint64_t>(chunk_ids.size());
  for (std::uint64_t id : chunk_ids) out.value(id);
  return std::move(out).finish();
}

/// The chunk ids a kCancel message names.
inline std::vector<std::uint64_t> read_cancel(std::string_view message) {
  ByteReader in(message);
  const auto count = in.value<std::uint64_t>();
  if (count > message.size() / sizeof(std::uint64_t)) throw std::runtime_error("rankpool: malformed kCancel message");
  std::vector<std::uint64_t> out(count);
  for (auto& id : out) id = in.value<std::uint64_t>();
  return out;
}

/// A worker asks for the next slots of a run-wide rate budget (rate_budget.hpp).
struct LeaseRequest {
  std::string name;
  double per_second = 0;
  std::uint32_t slots = 1;
  bool operator==(const LeaseRequest&) const = default;
  // clang-format off
  friend void fields(auto& ar, MessageOf<LeaseRequest> auto& m) { ar & m.name & m.per_second & m.slots; }
  // clang-format on
};
/// Slots of a lease: the first `first` seconds after the master answered
/// (the worker counts from when it reads the grant), then one every `spacing`.
struct LeaseSlots {
  std::uint32_t count = 0;
  double first = 0;
  double spacing = 0;
  bool operator==(const LeaseSlots&) const = default;
  // clang-format off
  friend void fields(auto& ar, MessageOf<LeaseSlots> auto& m) { ar & m.count & m.first & m.spacing; }
  // clang-format on
};

/// kGrant: the master's answer to a LeaseRequest.
struct LeaseGrant {
  std::string name;
  LeaseSlots slots;
  bool operator==(const LeaseGrant&) const = default;
  friend void fields(auto& ar, MessageOf<LeaseGrant> auto& m) {
    // clang-format off
    ar & m.name;
    // clang-format on
    fields(ar, m.slots);
  }
};

inline LeaseRequest read_lease_request(ByteReader& in) { return read<LeaseRequest>(in); }

/// Forget, Stop and Wait carry one value.
template <class T>
std::string encode_value(T value) {
  ByteWriter out;
  out.value(value);
  return std::move(out).finish();
}
template <class T>
T decode_value(std::string_view message) {
  ByteReader in(message);
  return in.value<T>();
}

}  // namespace rankpool::detail
