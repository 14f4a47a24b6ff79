#!/usr/bin/env bash
# startup.sh — end to end: mpirun -np 3 rankpool factorial --upto 100 vs the seed's Python
# script (and a minimal Pool one-liner, mpi4py.futures), with hyperfine if installed; the effect
# of RANKPOOL_NO_TUNING=1 (no automatic OMPI_MCA_pml=ob1); floors: mpirun /bin/true, MPI hello.
#   hpc/bench/startup.sh [--quick] [--runs N] [--wait-quiet LOAD]
# Markdown on stdout, hyperfine's progress on stderr. Default ~1 min on 2 cores; --quick < 30 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib/run_python.sh"
run_python startup.py "$@"
