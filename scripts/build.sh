#!/usr/bin/env bash
# Configures and builds folio in Release into ./build (or $FOLIO_BUILD_DIR), with ccache when
# present. Extra arguments go to the CMake configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${FOLIO_BUILD_DIR:-build}
jobs=${FOLIO_JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j "$jobs"
