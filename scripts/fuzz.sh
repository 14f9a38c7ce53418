#!/usr/bin/env bash
# Builds folio's libFuzzer targets (tests/fuzz) with clang under ASan + UBSan into ./build-fuzz
# (or $FOLIO_FUZZ_BUILD_DIR) and runs each one, or those named, for a while. Each run starts
# from a scratch copy of the target's seed corpus (tests/fuzz/corpus/<target>/): new inputs
# never land in the repository. Prints "target executions crashes" per target and exits
# non-zero if any target crashed, leaked, timed out or ran out of memory; the inputs are left
# in build-fuzz/fuzz-artifacts/<target>/ with the run's log.
#
#   bash scripts/fuzz.sh                      # every target, 60 s each
#   bash scripts/fuzz.sh --time 300 fuzz_cursor
#   bash scripts/fuzz.sh --runs 100000
#   bash scripts/fuzz.sh --smoke              # CI: each target 15 s or 20,000 runs
#   bash scripts/fuzz.sh --no-build ...       # reuse the existing build
#   bash scripts/fuzz.sh --jobs 2 --runs 10000000 fuzz_foreign_type_db
#                                             # 2 processes sharing one corpus, 5 M runs each
#   bash scripts/fuzz.sh --corpus DIR ...     # work in DIR/<target> (made from the seeds if
#                                             # missing) and keep it, so a long campaign can
#                                             # stop and go on where it was; its artifacts and
#                                             # log (appended) are kept too
#   bash scripts/fuzz.sh --rss-limit 8192 ... # long runs: libFuzzer purges the allocator every
#                                             # second once RSS passes half the limit (2048 MB
#                                             # by default), which slowed a 7 M run sevenfold
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(fuzz_request_target fuzz_principal fuzz_cursor fuzz_type_row fuzz_type_settings
             fuzz_foreign_type_db fuzz_json_body fuzz_http_request fuzz_exact_json)
limit=(-max_total_time=60)
build=1
jobs=1
rss_limit=2048
corpus_root=
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    --smoke) limit=(-max_total_time=15 -runs=20000); shift ;;
    --no-build) build=0; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --rss-limit) rss_limit="$2"; shift 2 ;;
    --corpus) corpus_root="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    fuzz_*) targets+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
# With --jobs N, each of the N processes runs its share of --runs; they share the corpus.
if [ "$jobs" -gt 1 ]; then
  for i in "${!limit[@]}"; do
    case "${limit[$i]}" in
      -runs=*) limit[$i]="-runs=$(( (${limit[$i]#-runs=} + jobs - 1) / jobs ))" ;;
    esac
  done
fi

build_dir=${FOLIO_FUZZ_BUILD_DIR:-build-fuzz}
if [ "$build" = 1 ]; then
  bash scripts/install-deps.sh
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFOLIO_FUZZ=ON -DFOLIO_BUILD_TESTS=OFF -DFOLIO_BUILD_BENCH=OFF
  cmake --build "$build_dir" -j "${FOLIO_JOBS:-$(nproc)}" --target "${targets[@]}"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/folio-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failed=0
summary=()
for t in "${targets[@]}"; do
  binary="$build_dir/tests/fuzz/$t"
  [ -x "$binary" ] || { echo "fuzz.sh: no $binary (build it first)" >&2; exit 2; }
  binary=$(realpath "$binary")
  artifacts="$build_dir/fuzz-artifacts/$t"
  corpus="$scratch/$t"
  [ -z "$corpus_root" ] || corpus="$corpus_root/$t"
  if [ ! -d "$corpus" ]; then  # a new run or campaign: no log or inputs of an earlier one
    rm -rf "$artifacts"
    mkdir -p "$(dirname "$corpus")" && cp -r "tests/fuzz/corpus/$t" "$corpus"
  fi
  corpus=$(realpath "$corpus")
  mkdir -p "$artifacts"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="$PWD/tests/fuzz/$t.dict")
  echo "fuzz.sh: $t ${limit[*]}"
  rc=0
  flags=("${limit[@]}" -rss_limit_mb="$rss_limit" -timeout=60 -print_final_stats=1
         -artifact_prefix="$(realpath "$artifacts")/" "${dict[@]}")
  if [ "$jobs" -gt 1 ]; then
    # Job i logs to fuzz-<i>.log in the working directory; the parent copies each log to its
    # own output when the job ends.
    (cd "$artifacts" && "$binary" -jobs="$jobs" -workers="$jobs" "${flags[@]}" "$corpus" \
       >>run.log 2>&1) || rc=$?
  else
    "$binary" "${flags[@]}" "$corpus" >>"$artifacts/run.log" 2>&1 || rc=$?
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$artifacts/run.log" |
          awk '{ total += $1 } END { print total + 0 }')
  crashes=$(find "$artifacts" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
              -o -name 'oom-*' | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi  # died before writing one
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz.sh: $t failed (exit $rc); log and inputs in $artifacts/" >&2
    grep -E -m 20 'ERROR|FUZZ_CHECK|SUMMARY|runtime error|#[0-9]+ 0x' "$artifacts/run.log" >&2 || true
  fi
  summary+=("$t ${execs:-0} $crashes")
done

echo "target executions crashes"
printf '%s\n' "${summary[@]}"
exit "$failed"
