#pragma once
/// \file
/// Point-to-point messages of any size. MPI counts are `int`, so a message
/// over one piece (1 GiB) travels as its first piece on its own tag and the
/// rest on kPiece from the same sender, in order (MPI never lets messages
/// with the same source, tag and communicator overtake each other).

#include <mpi.h>

#include "rankpool/backoff.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace rankpool::detail {

/// The largest piece one MPI message carries: 1 GiB, or
/// `RANKPOOL_MAX_PIECE_BYTES` (tests use a small one to cross the boundary cheaply).
std::size_t max_piece_bytes();

/// Sends framed messages without blocking and keeps each buffer until MPI is done with it.
class Outbox {
 public:
  explicit Outbox(MPI_Comm comm) : comm_(comm) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  /// Starts sending `message` (made by ByteWriter: length first) to `dest`.
  void post(int dest, int tag, std::string message);
  /// Frees what has been sent; true if nothing is pending any more.
  bool reap();
  /// Waits, with backoff, until everything has been sent.
  void drain();
  bool empty() const noexcept { return pending_.empty(); }
  /// The buffer of a message already sent, to write the next one into
  /// (ByteWriter keeps its capacity), or an empty string if none is free.
  std::string spare();

 private:
  struct Pending {
    std::string buffer;
    std::vector<MPI_Request> requests;
  };
  MPI_Comm comm_;
  std::vector<std::unique_ptr<Pending>> pending_;
  std::vector<std::string> spares_;
  bool recycles_ = false;
};

/// Receives the message `MPI_Improbe` matched, with any further pieces;
/// returns it whole, length first (read it with ByteReader).
std::string receive_matched(MPI_Comm comm, MPI_Message& message, const MPI_Status& status);

/// Waits for one request with backoff (a blocking MPI wait spins a core).
void wait_with_backoff(MPI_Request& request, Backoff backoff = Backoff());

}  // namespace rankpool::detail
