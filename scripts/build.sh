#!/usr/bin/env bash
# Configures and builds folio into ./build (or $FOLIO_BUILD_DIR), in Release unless the
# arguments say otherwise, with ccache when present. Extra arguments go to the CMake configure
# step; $FOLIO_BUILD_TARGETS (space-separated) limits the build to those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${FOLIO_BUILD_DIR:-build}
jobs=${FOLIO_JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
targets=()
for t in ${FOLIO_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$jobs" "${targets[@]}"
