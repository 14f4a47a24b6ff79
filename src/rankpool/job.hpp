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
/// Optional members:
/// - `void setup()`: runs once on each worker before the job's first task
///   there (Python's `initializer`); if it throws, every task of the job fails
///   with that error.
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

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/errors.hpp"

namespace rankpool {

namespace detail {

template <class F>
struct CallTraits;
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) const> {
  using result = std::decay_t<R>;
  static constexpr std::size_t arity = sizeof...(As);
  using argument = std::conditional_t<arity == 1, std::decay_t<std::tuple_element_t<0, std::tuple<As..., void>>>,
                                      std::tuple<std::decay_t<As>...>>;
};
template <class C, class R, class... As>
struct CallTraits<R (C::*)(As...) const noexcept> : CallTraits<R (C::*)(As...) const> {};

}  // namespace detail

/// A job type: a name, one const call operator, and parameters Boost.Serialization
/// can save (an empty type needs none).
template <class J>
concept Job = std::is_default_constructible_v<J> && requires {
  { J::name } -> std::convertible_to<std::string_view>;
  &J::operator();
} && detail::CallTraits<decltype(&J::operator())>::arity >= 1;

/// What one task of J takes: its single parameter's type, or a tuple of them.
template <Job J>
using job_arg_t = typename detail::CallTraits<decltype(&J::operator())>::argument;

/// What one task of J returns.
template <Job J>
using job_result_t = typename detail::CallTraits<decltype(&J::operator())>::result;

/// Whether J's tasks are indices: the master then sends only the index.
template <class J>
inline constexpr bool takes_index = std::is_same_v<job_arg_t<J>, std::uint64_t>;

/// Calls the job on one argument (unpacking a tuple for several parameters).
template <Job J>
decltype(auto) invoke_job(const J& job, const job_arg_t<J>& arg) {
  if constexpr (detail::CallTraits<decltype(&J::operator())>::arity == 1)
    return job(arg);
  else
    return std::apply(job, arg);
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
  /// argument is `index`.
  virtual std::string run(std::uint64_t index, std::string_view arg) = 0;
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
concept JobHasSetup = requires(J& job) { job.setup(); };

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
  std::string run(std::uint64_t index, std::string_view arg) override {
    set_up();
    std::string bytes;
    if constexpr (takes_index<J>) {
      Codec<job_result_t<J>>::encode(job_(index), bytes);
    } else {
      const job_arg_t<J> value = Codec<job_arg_t<J>>::decode(arg);
      Codec<job_result_t<J>>::encode(invoke_job(job_, value), bytes);
    }
    return bytes;
  }
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

/// The jobs a program knows by name; every rank must register the same ones.
class JobRegistry {
 public:
  using Factory = std::function<std::unique_ptr<TaskRunner>(std::string_view params)>;

  /// Registers job type J under J::name.
  template <Job J>
  JobRegistry& add() {
    factories_[std::string(J::name)] = [](std::string_view params) -> std::unique_ptr<TaskRunner> {
      return std::make_unique<TypedTaskRunner<J>>(load_params<J>(params));
    };
    if constexpr (JobStreams<J>)
      concurrency_[std::string(J::name)] = [](std::string_view params) {
        return TypedTaskRunner<J>(load_params<J>(params)).concurrency();
      };
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
    for (const auto& [name, factory] : factories_) out.push_back(name);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::unordered_map<std::string, Factory> factories_;
  std::unordered_map<std::string, std::function<int(std::string_view)>> concurrency_;
};

}  // namespace rankpool
