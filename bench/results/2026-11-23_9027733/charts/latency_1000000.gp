set terminal pngcairo size 1100,620 font 'Sans,11' noenhanced
set output '../latency_1000000.png'
set title 'Latency per operation, 1,000,000 documents, 1 thread: folio (blue) and its baselines (orange), log scale'
set ylabel 'µs per operation'
set logscale y
set grid ytics
set style fill solid 0.85 border -1
set boxwidth 0.7
set xtics rotate by -30 left
set bmargin 9
unset key
set yrange [0.01:5000]
set xrange [-0.6:10.6]
set linetype 1 lc rgb '#1f77b4'
set linetype 2 lc rgb '#ff7f0e'
plot 'latency_1000000.dat' using 1:3:4:xtic(2) with boxes lc variable, '' using 1:($3*1.6):5 with labels font ',10'
