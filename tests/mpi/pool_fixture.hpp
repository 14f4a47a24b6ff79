#pragma once
#include <gtest/gtest.h>

#include "rankpool/pool.hpp"

namespace rankpool::testing {

extern Pool* g_pool;
extern int g_world_size;

/// Each test gets the whole pool back, open, however the last one left it.
class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool().cancel();
    if (g_world_size > 1) pool().resize(g_world_size - 1);
  }
  static Pool& pool() { return *g_pool; }
};

}  // namespace rankpool::testing
