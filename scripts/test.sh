#!/usr/bin/env bash
# The test job on a fresh machine: install dependencies, then, each through ctest:
#   1. Release: build everything and run every test (including the consumer and example projects
#      that build against the installed package, and the short reliability runs);
#   2. ASan + UBSan: the whole suite again, instrumented (build-asan/);
#   3. TSan: the concurrency, race, multi-process and differential suites (build-tsan/);
#   4. fuzzing: each libFuzzer target briefly over its seed corpus (build-fuzz/, clang).
# FOLIO_QUICK=1 runs stage 1 only; FOLIO_STAGES="2 3" runs those. Extra arguments go to
# stage 1's ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=${FOLIO_JOBS:-$(nproc)}
stages=${FOLIO_STAGES:-1 2 3 4}
[ "${FOLIO_QUICK:-0}" = 1 ] && stages=1
runs() { [[ " $stages " == *" $1 "* ]]; }
stage() { printf '\n==== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
# Sanitizer builds: -O1 and line tables only (-g1) compile about twice as fast as
# RelWithDebInfo's -O2 -g on these template-heavy sources, and still give file:line reports.
sanitizer_build=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1")

if runs 1; then
  stage "1/4 Release build and the whole suite"
  bash scripts/build.sh
  (cd "${FOLIO_BUILD_DIR:-build}" && ctest --output-on-failure -j "$jobs" "$@")
fi

if runs 2; then
  stage "2/4 ASan + UBSan: the whole suite"
  FOLIO_BUILD_DIR=build-asan bash scripts/build.sh -DFOLIO_SANITIZE=ON -DFOLIO_BUILD_BENCH=OFF \
    "${sanitizer_build[@]}"
  # slow_connections exhausts the file descriptors on purpose, and UBSan's vptr check then
  # misreports (it probes memory through a pipe it can no longer open): it runs in stage 1.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/../tests/sanitizers/lsan.supp" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j "$jobs" -E reliability_slow_connections)
fi

if runs 3; then
  stage "3/4 TSan: the concurrency suites"
  tsan_targets=(base_test lru_cache_test lru_cache_stress_test kv_multiprocess_test
    engine_concurrency_test engine_race_test engine_multiprocess_test engine_differential_test
    engine_fault_test http_server_test)
  FOLIO_BUILD_DIR=build-tsan FOLIO_BUILD_TARGETS="${tsan_targets[*]}" bash scripts/build.sh \
    -DFOLIO_TSAN=ON -DFOLIO_BUILD_BENCH=OFF "${sanitizer_build[@]}"
  # Only those targets were built: their tests run, the others' placeholders are skipped, and
  # nothing can be installed for the package tests.
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --output-on-failure -j "$jobs" -E "_NOT_BUILT|reliability" -LE package)
fi

if runs 4; then
  stage "4/4 fuzzing: every target over its corpus, briefly"
  bash scripts/fuzz.sh --smoke
fi
stage "done"
