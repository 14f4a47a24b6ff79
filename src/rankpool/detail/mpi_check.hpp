#pragma once
/// \file
/// Every MPI call's return code is checked: a failure is a RuntimeError that
/// names the call and says what MPI said. (The session's communicator
/// returns errors instead of aborting, so an unchecked one would be a hang.)

#include <mpi.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "rankpool/errors.hpp"

namespace rankpool::detail {

/// MPI's words for an error code.
inline std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "error code " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

/// Throws RuntimeError("rankpool: MPI_Isend failed: ...") unless `code` is MPI_SUCCESS.
inline void check_mpi(int code, const char* call) {
  if (code != MPI_SUCCESS) throw RuntimeError(std::string("rankpool: ") + call + " failed: " + mpi_error_text(code));
}

/// For destructors, which must not throw: says on stderr that the call failed.
inline void report_mpi(int code, const char* call) noexcept {
  if (code == MPI_SUCCESS) return;
  try {
    std::cerr << "rankpool: warning: " << call << " failed: " << mpi_error_text(code) << std::endl;
  } catch (...) {
  }
}

/// Ends every rank of `comm`'s run with `exit_code` (MPI_Abort); if that
/// fails, says so and ends this process anyway.
[[noreturn]] inline void abort_run(MPI_Comm comm, int exit_code) noexcept {
  report_mpi(MPI_Abort(comm, exit_code), "MPI_Abort");
  std::_Exit(exit_code);
}

}  // namespace rankpool::detail
