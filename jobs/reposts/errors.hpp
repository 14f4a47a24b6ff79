#pragma once
/// Exceptions of the reposts job.
///
/// Two kinds, in rankpool's one error hierarchy (each class carries its exit
/// code): `InputError` is bad input from the user (a malformed id, mids file
/// or URL: a UsageError, exit 2); `ApiError` is a failed call to the Weibo
/// API (a RuntimeError, exit 1). Messages never contain the access token.

#include <string>

#include "rankpool/errors.hpp"

namespace rankpool::reposts {

/// Bad user input: a post id, a mids file, an `--api-base` URL, a token file.
class InputError : public UsageError {
 public:
  using UsageError::UsageError;
};

/// A call to the Weibo API that failed.
///
/// `permanent()` is true when retrying cannot help (bad token, bad id, any
/// other 4xx); false when retries were used up on a transient cause (5xx,
/// timeout, reset, truncated or malformed JSON, rate limit).
///
/// ```
/// try { client.fetch_page(mid, 200, 1); }
/// catch (const ApiError& e) { if (e.permanent()) ...; }
/// ```
class ApiError : public RuntimeError {
 public:
  /// `http_status` and `error_code` are 0 when unknown (no HTTP answer, no
  /// Weibo error body).
  ApiError(const std::string& message, bool permanent, int http_status = 0, int error_code = 0)
      : RuntimeError(message), permanent_(permanent), http_status_(http_status), error_code_(error_code) {}

  /// True when retrying cannot help.
  [[nodiscard]] bool permanent() const noexcept { return permanent_; }
  /// HTTP status of the last answer, 0 when there was none.
  [[nodiscard]] int http_status() const noexcept { return http_status_; }
  /// Weibo `error_code` of the last answer, 0 when there was none.
  [[nodiscard]] int error_code() const noexcept { return error_code_; }

 private:
  bool permanent_;
  int http_status_;
  int error_code_;
};

}  // namespace rankpool::reposts
