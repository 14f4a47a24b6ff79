# Sourced by the scripts: the Open MPI settings a single machine wants.
# Root may run MPI programs here (CI and containers run as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# More ranks than cores is normal on a laptop: the master mostly sleeps.
export OMPI_MCA_rmaps_base_oversubscribe=1
# On a non-zero exit, mpirun prints its notice at once instead of pausing 1-2 s
# to aggregate help messages. (OMPI_MCA_orte_execute_quiet=1, mpirun -q, hides
# the notice too, but then also the one that names a rank that died.)
export OMPI_MCA_orte_base_help_aggregate=0
