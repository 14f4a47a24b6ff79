#include "rankpool/detail/startup.hpp"

#include <cstdlib>
#include <cstring>

namespace rankpool::detail {

void tune_single_node_startup() {
  if (std::getenv("RANKPOOL_NO_TUNING") != nullptr) return;
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const char* slurm_nodes = std::getenv("SLURM_NNODES");
  bool single_node = false;
  if (world != nullptr)  // started by Open MPI's mpirun
    single_node = local != nullptr && std::strcmp(world, local) == 0;
  else if (slurm_nodes != nullptr)  // started by srun
    single_node = std::strcmp(slurm_nodes, "1") == 0;
  else  // a singleton: no launcher at all
    single_node = std::getenv("PMIX_RANK") == nullptr;
  if (!single_node) return;
  setenv("OMPI_MCA_pml", "ob1", /*overwrite=*/0);
  // A singleton never spawns ranks: without its supporting orted it starts
  // in ~30 ms instead of ~130 ms (and ~40 ms less CPU).
  if (world == nullptr && slurm_nodes == nullptr && std::getenv("PMI_RANK") == nullptr) {
    setenv("OMPI_MCA_ess_singleton_isolated", "1", /*overwrite=*/0);
    // Nor does it place anything near a device: hwloc's look at PCI (config
    // space reads, slow in a VM) and its GPU/OpenCL plugins cost ~13 ms of CPU.
    setenv("HWLOC_COMPONENTS", "-linuxio", /*overwrite=*/0);
    setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_pci,hwloc_opencl,hwloc_gl,hwloc_xml_libxml", /*overwrite=*/0);
  }
}

}  // namespace rankpool::detail
