set terminal pngcairo size 1100,620 font 'Sans,11' noenhanced
set output '../throughput.png'
set title 'Reads per second against reader threads (log scale)'
set xlabel 'threads'
set ylabel 'reads/s'
set logscale y
set grid
set xtics 1
set xrange [0.8:2.2]
set key outside bottom center horizontal maxrows 3
set bmargin 8
plot 'throughput_0.dat' using 1:2 with linespoints lw 2 pt 7 title 'mix through the engine (L1 256M), 100,000 docs', 'throughput_1.dat' using 1:2 with linespoints lw 2 pt 7 title 'mix straight from SQLite (baseline), 100,000 docs', 'throughput_2.dat' using 1:2 with linespoints lw 2 pt 7 title 'L1 hits only (engine_bench), 100,000 docs', 'throughput_3.dat' using 1:2 with linespoints lw 2 pt 7 title 'mix through the engine (L1 256M), 1,000,000 docs', 'throughput_4.dat' using 1:2 with linespoints lw 2 pt 7 title 'mix straight from SQLite (baseline), 1,000,000 docs', 'throughput_5.dat' using 1:2 with linespoints lw 2 pt 7 title 'L1 hits only (engine_bench), 1,000,000 docs'
