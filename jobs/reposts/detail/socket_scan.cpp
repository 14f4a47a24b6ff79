#include "reposts/detail/socket_scan.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <system_error>

namespace rankpool::reposts::detail {

namespace {

struct Endpoint {
  std::string addr;
  int port = -1;
};

bool endpoint_of(const sockaddr_storage& ss, Endpoint& out) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &in.sin_addr, text.data(), text.size());
    out.port = ntohs(in.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &in6.sin6_addr, text.data(), text.size());
    out.port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  out.addr = text.data();
  return true;
}

}  // namespace

int find_tcp_socket(int local_port, const std::string& peer_addr, int peer_port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    auto name = entry.path().filename().string();
    int fd = -1;
    auto [end, parse] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (parse != std::errc() || end != name.data() + name.size()) {
      continue;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    Endpoint local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 || !endpoint_of(ss, local) ||
        local.port != local_port) {
      continue;
    }
    ss = {};
    len = sizeof ss;
    Endpoint peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 || !endpoint_of(ss, peer)) {
      continue;
    }
    if (peer.port == peer_port && peer.addr == peer_addr) {
      return fd;
    }
  }
  return -1;
}

}  // namespace rankpool::reposts::detail
