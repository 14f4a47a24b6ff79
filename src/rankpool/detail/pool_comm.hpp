#pragma once
/// \file
/// The communicators and the datatype of map's collectives.

#include <mpi.h>

#include <map>

#include "rankpool/detail/mpi_check.hpp"

namespace rankpool::detail {

/// The communicator of the master and the first `pool_size` workers (ranks
/// 0..pool_size of `comm`), on which map's collectives run. Collective over
/// those ranks only, so idle workers outside the pool take no part.
inline MPI_Comm make_pool_comm(MPI_Comm comm, int pool_size) {
  MPI_Group world_group = MPI_GROUP_NULL;
  MPI_Group pool_group = MPI_GROUP_NULL;
  check_mpi(MPI_Comm_group(comm, &world_group), "MPI_Comm_group");
  int range[1][3] = {{0, pool_size, 1}};
  check_mpi(MPI_Group_range_incl(world_group, 1, range, &pool_group), "MPI_Group_range_incl");
  MPI_Comm pool = MPI_COMM_NULL;
  check_mpi(MPI_Comm_create_group(comm, pool_group, 7000 + pool_size, &pool), "MPI_Comm_create_group");
  check_mpi(MPI_Group_free(&pool_group), "MPI_Group_free");
  check_mpi(MPI_Group_free(&world_group), "MPI_Group_free");
  return pool;
}

/// What map's collectives need on every rank: a communicator per pool size,
/// made on first use, and the 64-byte unit datatype (see kUnitBytes).
class Collectives {
 public:
  Collectives(MPI_Comm comm, int unit_bytes) : comm_(comm) {
    check_mpi(MPI_Type_contiguous(unit_bytes, MPI_BYTE, &unit_), "MPI_Type_contiguous");
    check_mpi(MPI_Type_commit(&unit_), "MPI_Type_commit");
  }
  ~Collectives() {
    for (auto& [size, pool] : pools_) report_mpi(MPI_Comm_free(&pool), "MPI_Comm_free");
    report_mpi(MPI_Type_free(&unit_), "MPI_Type_free");
  }
  Collectives(const Collectives&) = delete;
  Collectives& operator=(const Collectives&) = delete;

  MPI_Datatype unit() const noexcept { return unit_; }
  /// The communicator of the master and the first `pool_size` workers.
  MPI_Comm pool(int pool_size) {
    auto found = pools_.find(pool_size);
    if (found != pools_.end()) return found->second;
    return pools_[pool_size] = make_pool_comm(comm_, pool_size);
  }

 private:
  MPI_Comm comm_;
  MPI_Datatype unit_ = MPI_DATATYPE_NULL;
  std::map<int, MPI_Comm> pools_;
};

}  // namespace rankpool::detail
