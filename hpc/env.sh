# Sourced by the scripts: the Open MPI settings a single machine wants.
# Root may run MPI programs here (CI and containers run as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# More ranks than cores is normal on a laptop: the master mostly sleeps.
export OMPI_MCA_rmaps_base_oversubscribe=1
# One line of error from rankpool, not Open MPI's banner (and no 2 s pause) on a non-zero exit.
export OMPI_MCA_orte_execute_quiet=1
