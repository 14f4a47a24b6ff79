// The command keeps freed heap memory for the next message instead of handing
// it back to the kernel and faulting it in again.
#include "cli/heap_settings.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace rankpool::cli {
namespace {

TEST(HeapSettings, FreedBlocksStayInTheProcess) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "AddressSanitizer has its own allocator";
#endif
  if (!keep_freed_heap_memory()) GTEST_SKIP() << "the user's malloc settings win";
  // 256 KiB blocks: glibc maps each on its own by default (over 128 KiB) and
  // unmaps it when freed; kept on the heap, freed ones stay for the next.
  constexpr std::size_t kBlock = std::size_t{256} << 10;
  std::vector<char*> blocks;
  for (int i = 0; i < 64; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(kBlock)));
    std::memset(blocks.back(), 1, kBlock);
  }
  const std::size_t mapped = mallinfo2().hblkhd;
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
  EXPECT_LT(mapped, 8 * kBlock);                          // not mapped one by one
  EXPECT_GE(mallinfo2().keepcost, std::size_t{8} << 20);  // half of them free at the heap's top, kept
}

}  // namespace
}  // namespace rankpool::cli
