// StopBoard: what a worker does with a kCancel, without MPI.
#include "rankpool/detail/stop_board.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "rankpool/detail/protocol.hpp"
#include "support/expect_message.hpp"

namespace rankpool::detail {
namespace {

TEST(StopBoard, StopsTheChunkInHandWhenAKCancelNamesIt) {
  StopBoard board;
  board.begin(5);
  const std::stop_token token = board.token();
  board.take(write_cancel({4, 6}));
  EXPECT_FALSE(board.stopped());
  EXPECT_FALSE(token.stop_requested());
  board.take(write_cancel({5}));
  EXPECT_TRUE(board.stopped());
  EXPECT_TRUE(token.stop_requested());
  board.end();
}

TEST(StopBoard, AChunkNamedBeforeItBeginsStartsStoppedAndOnlyOnce) {
  StopBoard board;
  board.begin(1);
  board.take(write_cancel({3}));
  board.end();
  board.begin(2);
  EXPECT_FALSE(board.stopped());
  board.end();
  board.begin(3);
  EXPECT_TRUE(board.stopped());
  EXPECT_TRUE(board.token().stop_requested());
  board.end();
  board.begin(3);  // a later begin of the same id is not stopped again
  EXPECT_FALSE(board.stopped());
}

TEST(StopBoard, IgnoresChunksThatHaveComeAndGone) {
  StopBoard board;
  board.begin(7);
  board.end();
  board.take(write_cancel({6, 7}));  // both done: nothing to remember
  board.begin(8);
  EXPECT_FALSE(board.stopped());
}

TEST(StopBoard, ItsThreadLooksForNewsWhileATaskThatTakesATokenRuns) {
  std::atomic<int> looks = 0;
  StopBoard* self = nullptr;
  StopBoard board([&] {
    if (++looks == 3) self->take(write_cancel({1}));
  });
  self = &board;
  board.begin(1);
  const std::stop_token token = board.token();
  board.task_begins();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!token.stop_requested() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  board.task_ends();
  EXPECT_TRUE(token.stop_requested());
  const int after_the_task = looks.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(looks.load(), after_the_task) << "the thread looked after the task ended";
}

TEST(StopBoard, AMalformedKCancelIsRefused) {
  StopBoard board;
  std::string message = write_cancel({1, 2});
  message.resize(message.size() - 4);
  EXPECT_THROW_MSG(board.take(message), std::runtime_error, "rankpool: truncated message");
}

}  // namespace
}  // namespace rankpool::detail
