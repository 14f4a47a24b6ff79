array present[6]
array subtitle[6]
present[1] = "1 1 1 1 0 1"
subtitle[1] = "apply (mpi4py.futures: submit_result)"
present[2] = "1 1 1 1 0 1"
subtitle[2] = "apply_async (mpi4py.futures: submit)"
present[3] = "1 1 1 1 0 1"
subtitle[3] = "map (mpi4py.futures: map with Pool.map's chunksize)"
present[4] = "1 1 0 1 0 1"
subtitle[4] = "map_async"
present[5] = "1 0 0 0 0 1"
subtitle[5] = "imap"
present[6] = "1 0 0 0 0 1"
subtitle[6] = "imap_unordered"
ymin = 1.38e-05
ymax = 0.249
xmax = 5
xtics_list = "1 2 4"
