// GoogleTest under MPI: rank 0 runs the tests on the pool, the others serve
// it and return the master's result, so a failure fails every rank.
#include <gtest/gtest.h>

#include "pool_fixture.hpp"
#include "rankpool/session.hpp"
#include "test_jobs.hpp"

rankpool::Pool* rankpool::testing::g_pool = nullptr;
int rankpool::testing::g_world_size = 0;

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  rankpool::Session session(argc, argv, rankpool::testing::test_jobs());
  int code = 0;
  if (rankpool::Pool* pool = session.pool()) {
    rankpool::testing::g_pool = pool;
    rankpool::testing::g_world_size = session.world_size();
    code = RUN_ALL_TESTS();
  }
  return session.finish(code);
}
