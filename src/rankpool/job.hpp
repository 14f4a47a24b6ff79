#pragma once
/// \file
/// Jobs: what a worker runs. A job is a named type whose value holds the
/// parameters (sent to each worker once) and whose call operator maps one
/// task's argument to a result. The argument is a task index
/// (`std::uint64_t`, the shipped jobs' form: a worker rebuilds the task from
/// the parameters) or a value of the job's own type that travels with its task:
///
///     struct WordLength {
///       static constexpr const char* name = "word_length";
///       template <class Archive> void serialize(Archive&, unsigned) {}    // no parameters
///       std::uint64_t operator()(const std::string& word) const { return word.size(); }
///     };
///
/// A call operator of several parameters takes `std::tuple` arguments
/// (Python's `starmap`). Arguments and results travel through `Codec`.
///
/// A call operator may take a `std::stop_token` after its argument(s):
/// `R operator()(Arg, std::stop_token) const`. Its stop is requested when
/// the task's call is terminated (`Pool::terminate`, or the run ends early)
/// while the task runs; a long task that polls `stop_requested()` (or waits
/// on a `std::condition_variable_any` with the token) then ends early, and
/// its result is dropped. The token is not part of the task's argument.
///
/// Optional members:
/// - `void setup()`: runs on each worker before the job value's first task
///   there (Python's `initializer`); if it throws, every task of the job fails
///   with that error. A worker keeps the set-up jobs of its
///   `kJobValuesKept` (4) most recently used job values, and drops the least
///   recently used one beyond that (with what its setup() built); a later
///   task of a dropped value rebuilds the job from its parameters and runs
///   setup() again. So a sweep over many values of a job whose setup() builds
///   a big table holds at most 4 tables per worker, and a program that
///   alternates between more than 4 values pays for setup() each time.
/// - `std::vector<Outcome<R>> run_many(std::span<const std::uint64_t>) const`
///   (index jobs): a worker runs each chunk it is handed in one call, so tasks
///   that wait on I/O overlap.
/// - `int concurrency() const` and `void run_stream(TaskStream<R>&) const`
///   (index jobs): a worker may hold up to `concurrency()` tasks of the job at
///   once, however they come (one apply_async call at a time, or chunks), and
///   runs them in one run_stream call that takes each task as it arrives
///   (TaskStream::next) and hands back each outcome as it finishes (finish).
///   For tasks that wait on I/O: K requests in flight per worker in every variant
///   (map runs a worker's share through run_many).
///
/// Register the type on every rank (`JobRegistry::add<J>()`) so workers can
/// rebuild it from its name and parameters.

#include <cxxabi.h>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <sstream>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/detail/job_rules.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/task_set.hpp"

namespace rankpool {

/// A job type, as a constraint: any class type. Whether it keeps the job
/// rules (a `name`, default-constructible, one const call operator taking an
/// argument and returning a result, argument and result that can travel,
/// parameters Boost.Serialization can save) is checked where it is used, by
/// a static_assert that names the rule it breaks; `is_job_v` asks quietly.
template <class J>
concept Job = std::is_class_v<J>;

/// Whether J keeps every job rule (see Job); checks nothing.
template <class J>
inline constexpr bool is_job_v = detail::JobRules<J>::ok;

/// What one task of J takes: its single parameter's type, or a tuple of them.
template <Job J>
using job_arg_t = typename detail::JobTypes<J>::argument;

/// What one task of J returns.
template <Job J>
using job_result_t = typename detail::JobTypes<J>::result;

/// Whether J's tasks are indices: the master then sends only the index.
template <class J>
inline constexpr bool takes_index = std::is_same_v<job_arg_t<J>, std::uint64_t>;

/// What one task's argument may be: for an index job, an integer; for any
/// job, a value that becomes its argument type without narrowing (as braces
/// require: a double does not feed an int job, nor an int a double one;
/// tuples element by element).
template <class Arg, class J>
concept TaskArg =
    (takes_index<J> && std::integral<std::remove_cvref_t<Arg>>) || detail::NoNarrowing<Arg, job_arg_t<J>>::value;

/// What a call's tasks may be: for an index job, a TaskSet (a count, a
/// vector of indices); for any job, an input range of values that are each a
/// TaskArg, consumed as the workers need it.
template <class Args, class J>
concept TaskArgs = (takes_index<J> && std::is_convertible_v<Args, TaskSet> &&
                    !std::is_floating_point_v<std::remove_cvref_t<Args>>) ||
                   (std::ranges::input_range<Args> && TaskArg<std::ranges::range_reference_t<Args>, J>);

/// Whether J's call operator takes a std::stop_token after its argument(s).
template <class J>
inline constexpr bool takes_stop_token = detail::JobTypes<J>::stoppable;

/// Calls the job on one argument (unpacking a tuple for several parameters),
/// with `stop` when the job takes a stop token.
template <Job J>
decltype(auto) invoke_job(const J& job, const job_arg_t<J>& arg, std::stop_token stop = {}) {
  if constexpr (takes_stop_token<J>) {
    if constexpr (detail::JobTypes<J>::arity == 1)
      return job(arg, std::move(stop));
    else
      return std::apply([&](const auto&... parts) -> decltype(auto) { return job(parts..., stop); }, arg);
  } else if constexpr (detail::JobTypes<J>::arity == 1) {
    return job(arg);
  } else {
    return std::apply(job, arg);
  }
}

/// One task's outcome from a job's `run_many`: a value, or why there is none.
template <class R>
struct Outcome {
  std::optional<R> value;
  std::string error;
};

/// A task a TaskStream hands out: its ticket (for finish) and its index.
struct StreamTask {
  std::uint64_t ticket = 0;
  std::uint64_t index = 0;
};

/// The tasks a worker holds for a job's `run_stream`, fed as they arrive.
/// A job takes tasks with next() while it has room (at most its
/// `concurrency()` at once), calls finish() once for each, polls next()
/// every few milliseconds while any is running, and returns once it holds
/// none and next() gives none. Tasks it never finishes fail.
template <class R>
class TaskStream {
 public:
  virtual ~TaskStream() = default;
  /// The next task handed to this worker, if one is here now; never waits.
  virtual std::optional<StreamTask> next() = 0;
  /// Reports the outcome of the task with this ticket.
  virtual void finish(std::uint64_t ticket, Outcome<R> outcome) = 0;
};

/// A job rebuilt on a rank from its parameters: runs one task to bytes.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  /// Runs one task and returns its encoded result; throws what the task
  /// throws. `arg` is the encoded argument, or empty for an index job, whose
  /// argument is `index`. `stop` reaches a job that takes a std::stop_token.
  virtual std::string run(std::uint64_t index, std::string_view arg, std::stop_token stop = {}) = 0;
  /// Whether the job's tasks take a std::stop_token (then someone should watch for stops while one runs).
  virtual bool takes_stop_token() const { return false; }
  /// Whether run_many overlaps tasks (else the worker calls run one by one).
  virtual bool runs_many() const { return false; }
  /// Runs several index tasks together; one encoded outcome per index, in order.
  virtual std::vector<Outcome<std::string>> run_many(std::span<const std::uint64_t> /*indices*/) { return {}; }
  /// Tasks of this job one worker may hold at once (run_stream when above 1).
  virtual int concurrency() const { return 1; }
  /// Runs the tasks the stream hands out, encoded outcomes back (see TaskStream).
  virtual void run_stream(TaskStream<std::string>& /*stream*/) {}
};

/// A job's parameters as bytes (Boost.Serialization binary archive).
template <Job J>
std::string save_params(const J& job) {
  if constexpr (std::is_empty_v<J>) {
    return {};
  } else {
    std::ostringstream stream;
    {
      boost::archive::binary_oarchive archive(stream, boost::archive::no_header);
      archive << job;
    }
    return std::move(stream).str();
  }
}

/// Rebuilds a job from the bytes save_params made.
template <Job J>
J load_params(std::string_view bytes) {
  J job{};
  if constexpr (!std::is_empty_v<J>) {
    std::istringstream stream{std::string(bytes)};
    boost::archive::binary_iarchive archive(stream, boost::archive::no_header);
    archive >> job;
  }
  return job;
}

template <class J>
concept JobRunsMany = takes_index<J> && requires(const J& job, std::span<const std::uint64_t> indices) {
  { job.run_many(indices) } -> std::same_as<std::vector<Outcome<job_result_t<J>>>>;
};

template <class J>
concept JobHasSetup = requires(J& job) {
  job.setup();
};

template <class J>
concept JobStreams = takes_index<J> && requires(const J& job, TaskStream<job_result_t<J>>& stream) {
  { job.concurrency() } -> std::convertible_to<int>;
  job.run_stream(stream);
};

namespace detail {

/// An outcome with its value encoded (Codec<R>), as a worker sends it.
template <class R>
Outcome<std::string> encode_outcome(Outcome<R>&& outcome) {
  Outcome<std::string> encoded;
  encoded.error = std::move(outcome.error);
  if (outcome.value) Codec<R>::encode(std::move(*outcome.value), encoded.value.emplace());
  return encoded;
}

/// A job's typed stream over the worker's encoded one.
template <class R>
class EncodingStream final : public TaskStream<R> {
 public:
  explicit EncodingStream(TaskStream<std::string>& raw) : raw_(raw) {}
  std::optional<StreamTask> next() override { return raw_.next(); }
  void finish(std::uint64_t ticket, Outcome<R> outcome) override {
    raw_.finish(ticket, encode_outcome(std::move(outcome)));
  }

 private:
  TaskStream<std::string>& raw_;
};

}  // namespace detail

template <Job J>
class TypedTaskRunner final : public TaskRunner {
 public:
  explicit TypedTaskRunner(J job) : job_(std::move(job)) {}
  std::string run(std::uint64_t index, std::string_view arg, std::stop_token stop = {}) override {
    set_up();
    std::string bytes;
    if constexpr (takes_index<J>) {
      Codec<job_result_t<J>>::encode(invoke_job(job_, index, std::move(stop)), bytes);
    } else {
      const job_arg_t<J> value = Codec<job_arg_t<J>>::decode(arg);
      Codec<job_result_t<J>>::encode(invoke_job(job_, value, std::move(stop)), bytes);
    }
    return bytes;
  }
  bool takes_stop_token() const override { return rankpool::takes_stop_token<J>; }
  bool runs_many() const override { return JobRunsMany<J>; }
  int concurrency() const override {
    if constexpr (JobStreams<J>)
      return std::max(1, static_cast<int>(job_.concurrency()));
    else
      return 1;
  }
  void run_stream(TaskStream<std::string>& stream) override {
    if constexpr (JobStreams<J>) {
      set_up();
      detail::EncodingStream<job_result_t<J>> typed(stream);
      job_.run_stream(typed);
    }
  }
  std::vector<Outcome<std::string>> run_many(std::span<const std::uint64_t> indices) override {
    std::vector<Outcome<std::string>> out;
    if constexpr (JobRunsMany<J>) {
      set_up();
      for (auto& outcome : job_.run_many(indices)) out.push_back(detail::encode_outcome(std::move(outcome)));
    }
    return out;
  }

 private:
  // Runs setup() once; a setup that threw fails every later task the same way.
  void set_up() {
    if constexpr (JobHasSetup<J>) {
      if (setup_error_) std::rethrow_exception(setup_error_);
      if (set_up_) return;
      set_up_ = true;
      try {
        job_.setup();
      } catch (...) {
        setup_error_ = std::current_exception();
        throw;
      }
    }
  }

  J job_;
  bool set_up_ = false;
  std::exception_ptr setup_error_;
};

/// Set-up job values a worker keeps at once (see setup() above).
inline constexpr std::size_t kJobValuesKept = 4;

namespace detail {

/// A type's readable name, e.g. "Square".
inline std::string readable_type_name(const std::type_info& type) {
  int status = 0;
  char* readable = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && readable ? readable : type.name();
  std::free(readable);
  return out;
}

}  // namespace detail

/// The jobs a program knows by name; every rank must register the same ones.
class JobRegistry {
 public:
  using Factory = std::function<std::unique_ptr<TaskRunner>(std::string_view params)>;

  /// Registers job type J under J::name (again: no change). Throws
  /// UsageError if another type has that name already.
  template <Job J>
  JobRegistry& add() {
    if constexpr (detail::check_job<J>()) {
      const std::string name(J::name);
      const auto [known, fresh] = types_.emplace(name, &typeid(J));
      if (!fresh && *known->second != typeid(J))
        throw UsageError("job name '" + name + "' is registered twice: by " +
                         detail::readable_type_name(*known->second) + " and by " +
                         detail::readable_type_name(typeid(J)) + "; give each job type a name of its own");
      factories_[name] = [](std::string_view params) -> std::unique_ptr<TaskRunner> {
        return std::make_unique<TypedTaskRunner<J>>(load_params<J>(params));
      };
      if constexpr (JobStreams<J>)
        concurrency_[name] = [](std::string_view params) {
          return TypedTaskRunner<J>(load_params<J>(params)).concurrency();
        };
    }
    return *this;
  }

  /// Tasks of this job one worker may hold at once (1 unless the job streams;
  /// only a streaming job's parameters are read to tell).
  int concurrency(const std::string& name, std::string_view params) const {
    auto found = concurrency_.find(name);
    return found == concurrency_.end() ? 1 : found->second(params);
  }

  /// Rebuilds a job; throws UsageError for a name nobody registered.
  std::unique_ptr<TaskRunner> make(const std::string& name, std::string_view params) const {
    auto found = factories_.find(name);
    if (found == factories_.end()) throw UsageError("unknown job '" + name + "'");
    return found->second(params);
  }

  bool contains(const std::string& name) const { return factories_.count(name) != 0; }

  /// The registered names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(types_.size());
    for (const auto& entry : types_) out.push_back(entry.first);
    return out;
  }

 private:
  std::map<std::string, const std::type_info*> types_;
  std::unordered_map<std::string, Factory> factories_;
  std::unordered_map<std::string, std::function<int(std::string_view)>> concurrency_;
};

}  // namespace rankpool
