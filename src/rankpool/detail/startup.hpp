#pragma once

namespace rankpool::detail {

/// Before MPI_Init: when every rank runs on this one node and the user chose
/// no point-to-point layer, picks Open MPI's ob1 (shared memory), which starts
/// ~10x faster than the default probe of network transports; a singleton
/// (no launcher) starts without Open MPI's supporting daemon, and its hwloc
/// skips the discovery of I/O devices.
void tune_single_node_startup();

}  // namespace rankpool::detail
