#include "rankpool/detail/transport.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "rankpool/backoff.hpp"
#include "rankpool/detail/mpi_check.hpp"
#include "rankpool/detail/protocol.hpp"

namespace rankpool::detail {

std::size_t max_piece_bytes() {
  static const std::size_t piece = [] {
    std::size_t bytes = std::size_t{1} << 30;
    if (const char* text = std::getenv("RANKPOOL_MAX_PIECE_BYTES")) {
      const unsigned long long asked = std::strtoull(text, nullptr, 10);
      if (asked >= 64 && asked <= bytes) bytes = static_cast<std::size_t>(asked);
    }
    return bytes;
  }();
  return piece;
}

void Outbox::post(int dest, int tag, std::string message) {
  auto pending = std::make_unique<Pending>();
  pending->buffer = std::move(message);
  const std::size_t piece = max_piece_bytes();
  const std::size_t total = pending->buffer.size();
  for (std::size_t offset = 0; offset < total; offset += piece) {
    const std::size_t size = std::min(piece, total - offset);
    MPI_Request& request = pending->requests.emplace_back(MPI_REQUEST_NULL);
    check_mpi(MPI_Isend(pending->buffer.data() + offset, static_cast<int>(size), MPI_BYTE, dest,
                        offset == 0 ? tag : kPiece, comm_, &request),
              "MPI_Isend");
  }
  pending_.push_back(std::move(pending));
}

namespace {

// A worker sends a results message every few milliseconds; the sent ones'
// buffers are reused, so that each new message is not written into fresh
// memory (which glibc maps and unmaps, or trims, for buffers this large:
// ~2 us per 4 KiB page faulted in, on a VM).
constexpr std::size_t kMaxSpares = 2;
constexpr std::size_t kMaxSpareBytes = std::size_t{32} << 20;

}  // namespace

bool Outbox::reap() {
  std::erase_if(pending_, [this](std::unique_ptr<Pending>& pending) {
    int done = 0;
    check_mpi(
        MPI_Testall(static_cast<int>(pending->requests.size()), pending->requests.data(), &done, MPI_STATUSES_IGNORE),
        "MPI_Testall");
    if (done != 0 && recycles_ && spares_.size() < kMaxSpares && pending->buffer.capacity() <= kMaxSpareBytes)
      spares_.push_back(std::move(pending->buffer));
    return done != 0;
  });
  return pending_.empty();
}

std::string Outbox::spare() {
  recycles_ = true;  // only an outbox whose owner asks keeps sent buffers
  if (spares_.empty() && !pending_.empty()) reap();
  if (spares_.empty()) return {};
  std::string buffer = std::move(spares_.back());
  spares_.pop_back();
  return buffer;
}

void Outbox::drain() {
  Backoff backoff;
  while (!reap()) backoff.pause();
}

std::string receive_matched(MPI_Comm comm, MPI_Message& message, const MPI_Status& status) {
  int size = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &size), "MPI_Get_count");
  std::string first(static_cast<std::size_t>(size), '\0');
  check_mpi(MPI_Mrecv(first.data(), size, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv");
  if (first.size() < kFrameBytes) throw std::runtime_error("rankpool: a message without its length arrived");
  std::uint64_t total = 0;
  std::memcpy(&total, first.data(), sizeof total);
  if (total == first.size()) return first;
  if (total < first.size()) throw std::runtime_error("rankpool: a message longer than it says arrived");
  // The rest follows in pieces from the same sender; they are already on their way.
  std::string whole = std::move(first);
  std::size_t received = whole.size();
  whole.resize(total);
  const std::size_t piece = max_piece_bytes();
  while (received < total) {
    const std::size_t want = std::min<std::size_t>(piece, total - received);
    MPI_Request request;
    check_mpi(
        MPI_Irecv(whole.data() + received, static_cast<int>(want), MPI_BYTE, status.MPI_SOURCE, kPiece, comm, &request),
        "MPI_Irecv");
    wait_with_backoff(request);
    received += want;
  }
  return whole;
}

void wait_with_backoff(MPI_Request& request, Backoff backoff) {
  for (;;) {
    int done = 0;
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return;
    backoff.pause();
  }
}

}  // namespace rankpool::detail
