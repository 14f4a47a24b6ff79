#include "rankpool/errors.hpp"

namespace rankpool {

std::string TaskFailure::describe() const {
  std::string out =
      job + " task " + std::to_string(index) + " on rank " + std::to_string(rank) + " (" + host + "): " + message;
  if (!type.empty()) out += " (" + type + ")";
  return out;
}

RemoteError::RemoteError(TaskFailure failure) : RuntimeError(failure.describe()), failure_(std::move(failure)) {}

int exit_code_of(const std::exception& error) noexcept {
  if (const auto* ours = dynamic_cast<const Error*>(&error)) return ours->exit_code();
  return 1;
}

}  // namespace rankpool
