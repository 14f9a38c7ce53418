#!/usr/bin/env bash
# Runs every reliability script (full length unless --short) and the fuzz targets, and writes
# the reliability report beside the benchmark reports:
#   bench/results/<date>_<commit>_reliability/{report.md, <run>.log, soak-rss.csv, soak-rss.png}
#   bash scripts/reliability/report.sh [--short] [--fuzz-time SECONDS] [--runs "kill_loop soak …"]
# Each run's figure lines and verdict go into the report as printed; nothing is edited.
set -euo pipefail
cd "$(dirname "$0")/../.."
short=() fuzz_time=600
runs="kill_loop soak disk_full external_lock l2_damage rollback slow_connections"
while (($#)); do
  case "$1" in
    --short) short=(--short) ;;
    --fuzz-time) fuzz_time=$2; shift ;;
    --runs) runs=$2; shift ;;
    *) echo "usage: $0 [--short] [--fuzz-time SECONDS] [--runs \"NAME …\"]" >&2; exit 2 ;;
  esac
  shift
done
commit=$(git rev-parse --short HEAD)
out="bench/results/$(date -u +%Y-%m-%d)_${commit}_reliability"
mkdir -p "$out"
report="$out/report.md"
{
  echo "# Reliability report — $commit ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "Made by \`bash scripts/reliability/report.sh ${short[*]} --fuzz-time $fuzz_time\` on a"
  echo "$(nproc)-core machine ($(uname -sr)). Each section is the run's own output."
} >"$report"

failed=0
for run in $runs; do
  echo "report.sh: $run ${short[*]}" >&2
  start=$(date +%s)
  rc=0
  bash "scripts/reliability/$run.sh" "${short[@]}" >"$out/$run.log" 2>&1 || rc=$?
  ((rc == 0)) || failed=1
  {
    echo
    echo "## $run ($(($(date +%s) - start)) s)"
    echo
    echo '```'
    grep -v '^logs kept in' "$out/$run.log" | tail -n 25
    echo '```'
  } >>"$report"
  csv=$(sed -n 's/^rss csv: //p' "$out/$run.log")
  if [[ $run == soak && -n $csv && -f $csv ]]; then
    cp "$csv" "$out/soak-rss.csv"
    if command -v gnuplot >/dev/null; then
      gnuplot -e "set terminal pngcairo size 900,400; set output '$out/soak-rss.png';
        set datafile separator ','; set xlabel 'seconds'; set ylabel 'RSS (MiB)';
        set title 'folio serve RSS under saturating load with publishes';
        plot '$out/soak-rss.csv' using 1:(\$2/1024) with lines title 'RSS'" 2>/dev/null ||
        gnuplot -e "set terminal png size 900,400; set output '$out/soak-rss.png';
        set datafile separator ','; plot '$out/soak-rss.csv' using 1:(\$2/1024) with lines title 'RSS (MiB)'"
      printf '\n![RSS over the soak](soak-rss.png)\n' >>"$report"
    fi
  fi
done

if ((fuzz_time > 0)); then
  echo "report.sh: fuzzing, $fuzz_time s per target" >&2
  rc=0
  bash scripts/fuzz.sh --time "$fuzz_time" >"$out/fuzz.log" 2>&1 || rc=$?
  ((rc == 0)) || failed=1
  {
    echo
    echo "## fuzzing ($fuzz_time s per target, ASan + UBSan)"
    echo
    echo '```'
    grep -E '^(target|fuzz_)[a-z_]* ' "$out/fuzz.log" || tail -n 20 "$out/fuzz.log"
    echo '```'
  } >>"$report"
fi
echo "report.sh: wrote $report" >&2
exit "$failed"
