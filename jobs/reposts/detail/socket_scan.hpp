#pragma once
// Private to the mock server. cpp-httplib does not hand a handler its socket,
// and the "reset" fault needs it to close the connection without an answer:
// the socket is found among the process's descriptors by its address pair.

#include <string>

namespace rankpool::reposts::detail {

/// Descriptor of this process's connected TCP socket whose local port is
/// `local_port` and whose peer is `peer_addr`:`peer_port`; -1 if none.
int find_tcp_socket(int local_port, const std::string& peer_addr, int peer_port);

}  // namespace rankpool::reposts::detail
