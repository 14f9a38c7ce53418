#!/usr/bin/env bash
# One command for folio's benchmarks: builds in Release, prepares the data, runs every benchmark
# against baselines measured in the same run, and writes a Markdown report with charts.
#
#   bash bench/run.sh [--quick] [--docs N[,N…]] [--zipf S] [--write-fraction F] [--queries Q]
#                     [--threads 1,2] [--l1-sizes 0,1M,…] [--types K] [--no-build]
#                     [--build-dir DIR] [--out DIR]
#
#   --quick             a smoke test of about a minute: 20,000 documents, short runs (ctest's
#                       bench_quick runs this); its figures are not to be quoted
#   --docs N[,N…]       document counts to measure, each its own workload (default
#                       100000,1000000; the first time, seeding 1,000,000 documents takes ~15 min
#                       on 2 cores (6 min in one type, 8.5 min over 5 types, ~2,000-2,800
#                       documents/s); the files are kept in $TMPDIR for later runs)
#   --zipf S            Zipf exponent of query popularity (default 0.99)
#   --write-fraction F  share of the mix's operations that are writes: a merge patch of a
#                       published document, then its publish (default 0.001)
#   --queries Q         distinct queries in the mix (default 10000)
#   --threads LIST      reader thread counts for throughput and latency (default 1,2)
#   --l1-sizes LIST     L1 capacities for the hit-ratio sweep (default 0,1M,4M,16M,64M,256M)
#   --types K           types the mix's documents are spread over (default 5)
#   --no-build          use the binaries already in the build dir
#   --build-dir DIR     where the Release build is (default ./build, or $FOLIO_BUILD_DIR)
#   --out DIR           results dir (default bench/results/<date>_<commit>[_quick])
#
# Output in the results dir: <docs>/<bench>.json (Google Benchmark JSON, as written),
# <docs>/<bench>.log (console output), common/ (cache_bench, kv_bench, serve_vs_nginx.log),
# report.md (the docs/design.md §6 table and every other figure), and *.png charts (gnuplot). Needs
# python3; redis-server (the Redis GET baseline), wrk and nginx (bench/load/serve_vs_nginx.sh)
# and gnuplot (charts) are optional: without them the row or the charts are skipped with a
# message.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

quick=0
docs=""
zipf=0.99
write_fraction=0.001
queries=""
threads=1,2
l1_sizes=""
types=5
build=1
build_dir=${FOLIO_BUILD_DIR:-build}
out=""

die() {
  echo "bench/run.sh: $*" >&2
  exit 1
}
need_value() { [ $# -ge 2 ] || die "$1 needs a value (see the top of bench/run.sh)"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --docs) need_value "$@"; docs=$2; shift ;;
    --zipf) need_value "$@"; zipf=$2; shift ;;
    --write-fraction) need_value "$@"; write_fraction=$2; shift ;;
    --queries) need_value "$@"; queries=$2; shift ;;
    --threads) need_value "$@"; threads=$2; shift ;;
    --l1-sizes) need_value "$@"; l1_sizes=$2; shift ;;
    --types) need_value "$@"; types=$2; shift ;;
    --build-dir) need_value "$@"; build_dir=$2; shift ;;
    --out) need_value "$@"; out=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  docs=${docs:-20000}
  queries=${queries:-2000}
  l1_sizes=${l1_sizes:-0,1M,16M}
  min_time=0.05
  mix_flags=(--warmup_seconds=0.5 --measure_seconds=1 --publish_rounds=30)
else
  docs=${docs:-100000,1000000}
  queries=${queries:-10000}
  l1_sizes=${l1_sizes:-0,1M,4M,16M,64M,256M}
  min_time=0.5
  mix_flags=(--warmup_seconds=3 --measure_seconds=5 --publish_rounds=200)
fi
IFS=, read -r -a doc_counts <<<"$docs"
for n in "${doc_counts[@]}"; do
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 20000 ] || die "--docs values must be integers ≥ 20000"
done

start_all=$(date +%s)
step=0
progress() {
  step=$((step + 1))
  printf '\n==> [%s +%ds] %s\n' "$(date +%H:%M:%S)" $(($(date +%s) - start_all)) "$*"
}

# ---- Tools -------------------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 is needed for the report (apt-get install python3)"
have_redis=1
if ! command -v redis-server >/dev/null; then
  have_redis=0
  echo "bench/run.sh: redis-server is missing: the Redis GET baseline is skipped" \
    "(install it with: bash scripts/install-deps.sh, or apt-get install redis-server)" >&2
fi
if ! command -v gnuplot >/dev/null; then
  echo "bench/run.sh: gnuplot is missing: the report has no charts" \
    "(install it with: bash scripts/install-deps.sh, or apt-get install gnuplot-nox)" >&2
fi

# ---- Build -------------------------------------------------------------------------------
if [ "$build" = 1 ]; then
  progress "building in Release into $build_dir"
  bash scripts/install-deps.sh
  FOLIO_BUILD_DIR=$build_dir bash scripts/build.sh -DFOLIO_BUILD_BENCH=ON
fi
bin=$build_dir/bench
for b in storage_bench engine_bench cache_bench kv_bench mix_bench; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing: build first (drop --no-build, or --build-dir DIR)"
done
if [ ! -x "$bin/redis_bench" ]; then
  if [ "$have_redis" = 1 ]; then
    echo "bench/run.sh: $bin/redis_bench was not built (hiredis missing: apt-get install" \
      "libhiredis-dev, then rebuild): the Redis GET baseline is skipped" >&2
  fi
  have_redis=0
fi

# ---- Results dir ---------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo nocommit)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-dirty"; fi
if [ -z "$out" ]; then
  out=bench/results/$(date +%Y-%m-%d)_${commit}
  [ "$quick" = 1 ] && out=${out}_quick
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "dirty=$([[ $commit == *-dirty ]] && echo yes || echo no)"
  echo "quick=$quick"
  echo "docs=$docs"
  echo "types=$types"
  echo "zipf=$zipf"
  echo "write_fraction=$write_fraction"
  echo "queries=$queries"
  echo "threads=$threads"
  echo "l1_sizes=$l1_sizes"
  echo "min_time=$min_time"
  echo "mix_flags=${mix_flags[*]}"
  echo "host=$(uname -n) $(uname -m), $(nproc) cpus, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "tmpdir=${TMPDIR:-/tmp}"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/run.env"
echo "bench/run.sh: results go to $out"

# ---- Redis ---------------------------------------------------------------------------------
redis_pid=""
redis_dir=""
stop_redis() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
  fi
  if [ -n "$redis_dir" ]; then rm -rf "$redis_dir"; redis_dir=""; fi
}
serve_pid=""
stop_serve() {
  if [ -n "$serve_pid" ]; then
    kill -- "-$serve_pid" 2>/dev/null || true
    serve_pid=""
  fi
}
trap 'stop_redis; stop_serve' EXIT
start_redis() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis_dir=$(mktemp -d "${TMPDIR:-/tmp}/folio_redis_XXXXXX")
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$redis_dir" \
    --logfile "$redis_dir/redis.log" --daemonize no &
  redis_pid=$!
  for _ in $(seq 1 50); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" \
      2>/dev/null; then
      redis_port=$port
      return 0
    fi
    sleep 0.1
  done
  echo "bench/run.sh: redis-server did not start (see $redis_dir/redis.log): the Redis GET" \
    "baseline is skipped" >&2
  stop_redis
  return 1
}

# ---- Runs --------------------------------------------------------------------------------
# run_bench DIR NAME [flags…]: one benchmark binary, its JSON and its console log kept.
run_bench() {
  local dir=$1 name=$2
  shift 2
  local t0=$SECONDS rcs
  set +e
  "$bin/$name" --benchmark_min_time="$min_time" --benchmark_out="$dir/$name.json" \
    --benchmark_out_format=json --benchmark_color=false "$@" 2>&1 | tee "$dir/$name.log" |
    grep --line-buffered -v '^\*\*\*WARNING\*\*\* Library was built as DEBUG'
  rcs=("${PIPESTATUS[@]}")
  set -e
  [ "${rcs[0]}" = 0 ] || die "$name failed (exit ${rcs[0]}); see $dir/$name.log"
  echo "    ($name: $((SECONDS - t0)) s)"
}

progress "cache_bench and kv_bench (independent of the document count)"
mkdir -p "$out/common"
run_bench "$out/common" cache_bench
run_bench "$out/common" kv_bench

for n in "${doc_counts[@]}"; do
  dir=$out/$n
  mkdir -p "$dir"
  export FOLIO_BENCH_DOCS=$n
  progress "preparing $n documents (seeded once into ${TMPDIR:-/tmp}, then reused)"
  # One seeder at a time per data file: other runs on this machine wait here.
  lock=${TMPDIR:-/tmp}/folio_bench_prepare.lock
  if command -v flock >/dev/null; then
    flock "$lock" "$bin/mix_bench" --docs="$n" --types="$types" --prepare_only
  else
    "$bin/mix_bench" --docs="$n" --types="$types" --prepare_only
  fi
  # Read the data files once: the OS may have dropped them from its page cache since they were
  # seeded (a build in between), and the first benchmark would pay the disk for all of them.
  for f in "${TMPDIR:-/tmp}/folio_bench_storage_$n.sqlite"* \
    "${TMPDIR:-/tmp}/folio_bench_mix_${n}x$types.sqlite"*; do
    if [ -f "$f" ]; then cat "$f" >/dev/null; fi
  done
  progress "storage_bench, $n documents: direct page, deep keyset page, OFFSET"
  run_bench "$dir" storage_bench
  progress "engine_bench, $n documents: L1/L2 hits, misses, herd against the direct page"
  run_bench "$dir" engine_bench
  if [ "$have_redis" = 1 ] && start_redis; then
    progress "redis_bench, $n documents: L2 hit against a Redis GET (redis-server on 127.0.0.1:$redis_port)"
    run_bench "$dir" redis_bench --redis_port="$redis_port"
    stop_redis
  elif [ -x "$bin/redis_bench" ]; then
    progress "redis_bench, $n documents: the L2 hit alone (no redis-server: the Redis GET is skipped)"
    echo "redis-server is not installed or did not start (apt-get install redis-server)" \
      >"$dir/redis_bench.skipped"
    run_bench "$dir" redis_bench --redis_port=0
  else
    progress "redis_bench, $n documents: skipped (not built: hiredis missing)"
    echo "redis_bench was not built: hiredis is missing (apt-get install libhiredis-dev)" \
      >"$dir/redis_bench.skipped"
  fi
  progress "mix_bench, $n documents: Zipf($zipf) mix of $queries queries, write fraction $write_fraction, threads $threads, L1 sizes $l1_sizes"
  run_bench "$dir" mix_bench --docs="$n" --types="$types" --queries="$queries" --zipf="$zipf" \
    --write_fraction="$write_fraction" --threads="$threads" --l1_sizes="$l1_sizes" \
    "${mix_flags[@]}"
done

# folio serve against nginx serving the same bytes (bench/load/serve_vs_nginx.sh: wrk on
# loopback, a writer publishing meanwhile), when wrk and nginx are installed.
nginx_bin=$(command -v nginx || true)
[ -z "$nginx_bin" ] && [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx
if [ ! -x bench/load/serve_vs_nginx.sh ] && [ ! -f bench/load/serve_vs_nginx.sh ]; then
  echo "bench/run.sh: bench/load/serve_vs_nginx.sh is missing: folio serve vs nginx is skipped" >&2
elif ! command -v wrk >/dev/null || [ -z "$nginx_bin" ]; then
  echo "bench/run.sh: wrk or nginx is missing: folio serve vs nginx is skipped (apt-get install" \
    "wrk nginx-light, or run bench/load/serve_vs_nginx.sh once, which installs them)" >&2
  echo "wrk or nginx is not installed (apt-get install wrk nginx-light)" \
    >"$out/common/serve_vs_nginx.skipped"
elif [ ! -x "$build_dir/app/folio" ]; then
  echo "bench/run.sh: $build_dir/app/folio is missing: folio serve vs nginx is skipped" >&2
  echo "$build_dir/app/folio was not built" >"$out/common/serve_vs_nginx.skipped"
else
  serve_duration=10s
  [ "$quick" = 1 ] && serve_duration=2s
  progress "folio serve against nginx on the same bytes (wrk, $serve_duration each)"
  serve_docs=2000
  [ "$quick" = 1 ] && serve_docs=500
  # In a session of its own, into a file, not a pipe: whatever the script leaves running is
  # ended with its process group afterwards and cannot hold this run up.
  serve_log=$out/common/serve_vs_nginx.log
  FOLIO=$build_dir/app/folio DURATION=$serve_duration DOCS=$serve_docs \
    setsid timeout 600 bash bench/load/serve_vs_nginx.sh >"$serve_log" 2>&1 </dev/null &
  serve_pid=$!
  serve_rc=0
  wait "$serve_pid" || serve_rc=$?
  stop_serve
  if [ "$serve_rc" = 0 ]; then
    sed -n '/^================ serve_vs_nginx/,$p' "$serve_log"
  else
    echo "bench/load/serve_vs_nginx.sh failed; see $serve_log" |
      tee "$out/common/serve_vs_nginx.failed" >&2
    tail -n 20 "$serve_log" >&2
  fi
fi

progress "writing the report"
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/run.env"
python3 bench/report.py "$out"
echo
echo "bench/run.sh: done in $(($(date +%s) - start_all)) s; report: $out/report.md"
