# Gantt chart of one rankpool run, from trace_to_gantt.py's output.
#   gnuplot -e "dat='t.dat'; ytics='t.gp'; out='timeline.png'; title='...'; latency=0.8" timeline.gp
# One row per rank, one bar per task (labelled with its task index, or with
# pages=1 the reposts page); the first phase (reposts: the page-1 probe for
# total_number) in a different colour.
# latency > 0 draws a dotted line at every multiple of one request time.
if (!exists("latency")) latency = 0
if (!exists("title")) title = "rankpool run"
if (!exists("pages")) pages = 0   # 1: label reposts bars "page N" (phase 1 = page 1, task i = page i + 2)
load ytics
set terminal pngcairo size 1200, 170 + 70 * n_ranks font "DejaVu Sans,10" noenhanced
set output out
set title title
set xlabel "seconds since the first task started"
set yrange [r_max + 0.7 : r_min - 0.7]
set xrange [0 : t_end * 1.04]
set grid xtics lc rgb "#eeeeee"
set key outside top center horizontal width 3
set style fill solid 0.85 border lc rgb "#333333"
if (latency > 0) {
    do for [i = 1 : int(t_end * 1.04 / latency)] {
        set arrow from i * latency, graph 0 to i * latency, graph 1 nohead dt 2 lw 1.5 lc rgb "#cc3333"
    }
}
h = 0.32
plot dat using (($2 + $3) / 2):($5 == 0 ? $1 : NaN):2:3:($1 - h):($1 + h) \
         with boxxyerror lc 1 title (pages ? "page 1 (gives total_number)" : "first phase"), \
     dat using (($2 + $3) / 2):($5 > 0 ? $1 : NaN):2:3:($1 - h):($1 + h) \
         with boxxyerror lc 2 title (pages ? "pages 2..10, one task each" : "later tasks (label: task index)"), \
     dat using (($2 + $3) / 2):1:(pages ? ($5 == 0 ? "page 1" : sprintf("page %d", $4 + 2)) : sprintf("%d", $4)) with labels font ",9" tc rgb "white" notitle, \
     (latency > 0 ? NaN : NaN) with lines dt 2 lw 1.5 lc rgb "#cc3333" title sprintf("multiples of the %.0f ms request time", latency * 1000)
