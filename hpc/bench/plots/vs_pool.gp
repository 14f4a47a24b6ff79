# Time against pool size, one panel per variant: rankpool, Python's Pool and
# mpi4py.futures measured here, the seed's 2014 figures, rankpool's serial time,
# and (reposts) the latency bound. Inputs from seed_tables.py: dat = E_vs_pool.dat,
# one index block per variant, columns
#   1 pool  2 rankpool  3 python_pool  4 mpi4py  5 seed  6 bound  7 serial_rankpool
# and vars = E_vs_pool.gp (present[i]: which of columns 2..7 block i has, subtitle[i]: the
# panel title; y range). One legend under the panels.
#   gnuplot -e "dat='E_vs_pool.dat'; vars='E_vs_pool.gp'; out='E_vs_pool.png'; title='...'" vs_pool.gp
if (!exists("title")) title = "time against pool size"
if (!exists("ylabel")) ylabel = "best time (s, log scale)"
load vars
variants = "apply apply_async map map_async imap imap_unordered"
set terminal pngcairo size 1400, 880 font "DejaVu Sans,10" noenhanced
set output out
set logscale xy
set xtics ()
do for [k in xtics_list] { set xtics add (k int(k)) }
set xrange [0.8 : xmax]
set yrange [ymin : ymax]
set format y "%g"
if (log10(ymax / ymin) <= 2.5) {                 # short ranges: 1-2-5 tics, not only decades
    set ytics ()
    do for [d = floor(log10(ymin)) : ceil(log10(ymax))] {
        do for [m in "1 2 5"] { set ytics add (sprintf("%g", m * 10.0 ** d) m * 10.0 ** d) }
    }
}
set mytics 10
set grid xtics ytics lc rgb "#e0e0e0"
set style line 1 lc rgb "#1f77b4" lw 2.5 pt 7 ps 1.2     # rankpool
set style line 2 lc rgb "#ff7f0e" lw 2 pt 5 ps 1.1       # Python Pool
set style line 3 lc rgb "#2ca02c" lw 2 pt 9 ps 1.3       # mpi4py.futures
set style line 4 lc rgb "#d62728" pt 3 ps 2 lw 2         # seed
set style line 5 lc rgb "#555555" lw 1.5 dt 2            # latency bound
set style line 6 lc rgb "#9467bd" lw 1.5 dt 4            # serial
set multiplot title title font ",13"
w = 1.0 / 3; h = 0.44                          # two rows of three panels over a legend strip
do for [i = 1 : words(variants)] {
    set origin (i - 1) % 3 * w, ((i - 1) / 3 == 0 ? 0.5 : 0.06)
    set size w, h
    set title subtitle[i] font ",11"
    set xlabel "pool size (workers)"
    set ylabel (i % 3 == 1 ? ylabel : "")
    unset key
    plot dat index (i - 1) using 1:2 with linespoints ls 1, \
         dat index (i - 1) using 1:3 with linespoints ls 2, \
         dat index (i - 1) using 1:4 with linespoints ls 3, \
         dat index (i - 1) using 1:5 with points ls 4, \
         dat index (i - 1) using 1:6 with lines ls 5, \
         dat index (i - 1) using 1:7 with lines ls 6
}
# The legend: an empty plot across the bottom, one entry per series any panel has.
any(j) = (sum [i = 1 : words(variants)] (word(present[i], j) eq "1" ? 1 : 0)) > 0
label(j, text) = (any(j) ? text : "")
set origin 0, 0
set size 1, 0.07
unset title; unset xlabel; unset ylabel; unset tics; unset border; unset grid; unset logscale
set xrange [0 : 1]; set yrange [0 : 1]
set key center center horizontal font ",11" samplen 3 width 2
plot NaN with linespoints ls 1 title label(1, "rankpool"), \
     NaN with linespoints ls 2 title label(2, "Python Pool"), \
     NaN with linespoints ls 3 title label(3, "mpi4py.futures"), \
     NaN with points ls 4 title label(4, "seed (2014)"), \
     NaN with lines ls 5 title label(5, "latency bound"), \
     NaN with lines ls 6 title label(6, "serial (rankpool)")
unset multiplot
