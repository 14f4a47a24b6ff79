set ytics ("rank 1 (vm, pid 585)" 1, "rank 2 (vm, pid 586)" 2, "rank 3 (vm, pid 587)" 3, "rank 4 (vm, pid 588)" 4)
t_end = 3.320856
n_ranks = 4
n_tasks = 10
r_min = 1
r_max = 4
n_phases = 2
