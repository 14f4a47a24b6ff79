#pragma once
/// \file
/// Jobs: what a worker runs. A job is a named type whose value holds the
/// parameters (sent to each worker once) and whose call operator maps a task
/// index to a result.
///
///     struct Square {
///       static constexpr const char* name = "square";
///       long offset = 0;                                   // a parameter
///       long operator()(std::uint64_t i) const { return long(i * i) + offset; }
///       template <class Archive> void serialize(Archive& ar, unsigned) { ar & offset; }
///     };
///
/// Register the type on every rank (`JobRegistry::add<Square>()`) so workers
/// can rebuild it from its name and parameters.
///
/// A job whose tasks can overlap (I/O) may also define
/// `std::vector<Outcome<R>> run_many(std::span<const std::uint64_t>) const`:
/// a worker then runs each chunk it is handed in one call.

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rankpool/codec.hpp"
#include "rankpool/errors.hpp"

namespace rankpool {

/// A job type: a name, a call operator from task index to result, and
/// parameters that Boost.Serialization can save (an empty type needs none).
template <class J>
concept Job = std::is_default_constructible_v<J> && requires(const J& job, std::uint64_t index) {
  { J::name } -> std::convertible_to<std::string_view>;
  job(index);
};

/// The result type of a job.
template <Job J>
using job_result_t = std::decay_t<std::invoke_result_t<const J&, std::uint64_t>>;

/// One task's outcome from a job's `run_many`: a value, or why there is none.
template <class R>
struct Outcome {
  std::optional<R> value;
  std::string error;
};

/// A job rebuilt on a rank from its parameters: runs one task to bytes.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  /// Runs task `index` and returns its encoded result; throws what the task throws.
  virtual std::string run(std::uint64_t index) = 0;
  /// Whether run_many overlaps tasks (else the worker calls run one by one).
  virtual bool runs_many() const { return false; }
  /// Runs several tasks together; one encoded outcome per index, in order.
  virtual std::vector<Outcome<std::string>> run_many(std::span<const std::uint64_t> /*indices*/) { return {}; }
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
concept JobRunsMany = requires(const J& job, std::span<const std::uint64_t> indices) {
  { job.run_many(indices) } -> std::same_as<std::vector<Outcome<job_result_t<J>>>>;
};

template <Job J>
class TypedTaskRunner final : public TaskRunner {
 public:
  explicit TypedTaskRunner(J job) : job_(std::move(job)) {}
  std::string run(std::uint64_t index) override {
    std::string bytes;
    Codec<job_result_t<J>>::encode(job_(index), bytes);
    return bytes;
  }
  bool runs_many() const override { return JobRunsMany<J>; }
  std::vector<Outcome<std::string>> run_many(std::span<const std::uint64_t> indices) override {
    std::vector<Outcome<std::string>> out;
    if constexpr (JobRunsMany<J>) {
      for (auto& outcome : job_.run_many(indices)) {
        Outcome<std::string>& encoded = out.emplace_back();
        encoded.error = std::move(outcome.error);
        if (outcome.value) Codec<job_result_t<J>>::encode(*outcome.value, encoded.value.emplace());
      }
    }
    return out;
  }

 private:
  J job_;
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
    return *this;
  }

  /// Rebuilds a job; throws UsageError for a name nobody registered.
  std::unique_ptr<TaskRunner> make(const std::string& name, std::string_view params) const {
    auto found = factories_.find(name);
    if (found == factories_.end()) throw UsageError("unknown job '" + name + "'");
    return found->second(params);
  }

  bool contains(const std::string& name) const { return factories_.count(name) != 0; }

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace rankpool
