#pragma once
/// \file
/// Standard output that reports a failed write, under mpirun too.

#include <string>
#include <string_view>

namespace rankpool::cli {

/// The descriptor the master's standard output goes to. Under mpirun the
/// master's stdout is a terminal that mpirun copies to its own stdout, and
/// mpirun drops what it cannot write there and still exits 0 (Open MPI 4.1).
/// So when mpirun itself started this rank on this host and copies its output
/// untouched (no --tag-output, --timestamp-output, --xml or
/// --output-filename), mpirun's own stdout is opened anew, where a full disk
/// shows, and put in place of descriptor 1, so that one writer owns stdout.
/// Decided once (main() asks first, before anything is written); returns 1.
int stdout_fd();

/// Whether `path` ("-" too) is the file stdout_fd() writes to.
bool is_stdout(const std::string& path);

/// Writes `bytes` to stdout_fd(), after whatever std::cout holds. Throws
/// RuntimeError "cannot write stdout: REASON".
void write_stdout(std::string_view bytes);

}  // namespace rankpool::cli
