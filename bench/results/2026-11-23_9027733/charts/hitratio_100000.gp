set terminal pngcairo size 1100,620 font 'Sans,11' noenhanced
set output '../hit_ratio_100000.png'
set title 'Zipf mix, 100,000 documents, 1 thread(s): who answers, and latency, by L1 size'
set xlabel 'L1 capacity'
set ylabel '% of reads'
set yrange [0:100]
set y2label 'latency, µs (log)'
set logscale y2
set y2tics
set ytics nomirror
set grid ytics
set key outside right
set rmargin 30
set style data linespoints
plot 'hitratio_100000.dat' using 0:2:xtic(1) title 'L1 hits %' lw 2 pt 7 lc rgb '#1f77b4', '' using 0:3 title 'L2 hits %' lw 2 pt 5 lc rgb '#2ca02c', '' using 0:4 title 'SQLite %' lw 2 pt 9 lc rgb '#d62728', '' using 0:5 axes x1y2 title 'p50 latency (right)' dt 2 lw 2 pt 6 lc rgb '#555555', '' using 0:6 axes x1y2 title 'p99 latency (right)' dt 3 lw 2 pt 4 lc rgb '#000000'
