#pragma once
/// \file
/// Standard output that reports a failed write, under mpirun too.

#include <string_view>

namespace rankpool::cli {

/// The descriptor the master's standard output goes to. Under mpirun the
/// master's stdout is a terminal that mpirun copies to its own stdout, and
/// mpirun drops what it cannot write there and still exits 0 (Open MPI 4.1).
/// So when mpirun itself started this rank on this host and copies its output
/// untouched (no --tag-output, --timestamp-output, --xml or
/// --output-filename), this is mpirun's own stdout opened anew, where a full
/// disk shows; otherwise 1. Decided once.
int stdout_fd();

/// Writes `bytes` to stdout_fd(), after whatever std::cout holds. Throws
/// RuntimeError "cannot write stdout: REASON".
void write_stdout(std::string_view bytes);

}  // namespace rankpool::cli
