#pragma once
#include <mpi.h>

namespace rankpool::detail {

/// The communicator of the master and the first `pool_size` workers (ranks
/// 0..pool_size of `comm`), on which map's collectives run. Collective over
/// those ranks only, so idle workers outside the pool take no part.
inline MPI_Comm make_pool_comm(MPI_Comm comm, int pool_size) {
  MPI_Group world_group = MPI_GROUP_NULL;
  MPI_Group pool_group = MPI_GROUP_NULL;
  MPI_Comm_group(comm, &world_group);
  int range[1][3] = {{0, pool_size, 1}};
  MPI_Group_range_incl(world_group, 1, range, &pool_group);
  MPI_Comm pool = MPI_COMM_NULL;
  MPI_Comm_create_group(comm, pool_group, 7000 + pool_size, &pool);
  MPI_Group_free(&pool_group);
  MPI_Group_free(&world_group);
  return pool;
}

}  // namespace rankpool::detail
