// The outbox hands back the buffers of messages MPI has finished sending, so
// a worker writes its next results message into memory it already has.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#include "rankpool/detail/protocol.hpp"
#include "rankpool/detail/transport.hpp"

namespace rankpool::detail {
namespace {

TEST(Outbox, ASentMessagesBufferComesBackAsASpare) {
  Outbox outbox(MPI_COMM_SELF);
  EXPECT_TRUE(outbox.spare().empty());
  ByteWriter out;
  out.bytes(std::string(std::size_t{1} << 20, 'r'));
  std::string message = std::move(out).finish();
  const std::string sent = message;
  const char* memory = message.data();
  outbox.post(0, 5, std::move(message));
  // As a worker's message reaches the master: in pieces, if RANKPOOL_MAX_PIECE_BYTES says so.
  MPI_Message matched;
  MPI_Status status;
  MPI_Mprobe(0, 5, MPI_COMM_SELF, &matched, &status);
  EXPECT_EQ(receive_matched(MPI_COMM_SELF, matched, status), sent);
  const std::string spare = outbox.spare();  // reaps the finished send first
  EXPECT_TRUE(outbox.empty());
  EXPECT_EQ(spare.data(), memory);
  EXPECT_GE(spare.capacity(), std::size_t{1} << 20);
  EXPECT_TRUE(outbox.spare().empty());  // one buffer, handed out once
}

}  // namespace
}  // namespace rankpool::detail
