#pragma once
/// \file
/// ResultStream<T>: results of imap / imap_unordered, one at a time.

#include <cstdint>
#include <memory>
#include <optional>

#include "rankpool/codec.hpp"
#include "rankpool/detail/engine.hpp"
#include "rankpool/detail/result_states.hpp"

namespace rankpool {

/// One streamed result: which task, and its value.
template <class T>
struct StreamItem {
  std::uint64_t index = 0;
  T value;
};

/// Results as they finish (imap_unordered) or in request order (imap). Only a
/// window of results is out or buffered at any time, so the master's memory
/// stays flat however many tasks there are. Use on the master only.
///
///     auto stream = pool.imap_unordered(Square{}, 1'000'000);
///     while (auto item = stream.next()) total += item->value;
template <class T>
class ResultStream {
 public:
  ResultStream(detail::Engine& engine, std::shared_ptr<detail::StreamState> state, std::uint64_t job_id)
      : engine_(&engine), state_(std::move(state)), job_id_(job_id) {}

  /// The next result, or nothing when all are taken. A task that threw raises
  /// RemoteError at its turn; the stream goes on after it.
  std::optional<StreamItem<T>> next() {
    auto raw = next_raw();
    if (!raw) return std::nullopt;
    if (!raw->ok) throw RemoteError(engine_->failure_of(*raw, job_id_));
    return StreamItem<T>{raw->index, Codec<T>::decode(raw->payload)};
  }
  /// The next outcome as it came over the wire, failures included.
  std::optional<TaskResult> next_raw() {
    if (state_->finished()) return std::nullopt;
    engine_->wait_until([this] { return state_->available(); });
    return state_->take();
  }

 private:
  detail::Engine* engine_;
  std::shared_ptr<detail::StreamState> state_;
  std::uint64_t job_id_;
};

}  // namespace rankpool
