#include "rankpool/errors.hpp"

namespace rankpool {

std::string TaskFailure::describe() const {
  return job + " task " + std::to_string(index) + " on rank " + std::to_string(rank) + " (" +
         host + "): " + message;
}

RemoteError::RemoteError(TaskFailure failure)
    : RuntimeError(failure.describe()), failure_(std::move(failure)) {}

}  // namespace rankpool
