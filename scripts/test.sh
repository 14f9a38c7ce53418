#!/usr/bin/env bash
# The test job on a fresh machine: install dependencies, build everything, run every test
# through ctest (including the consumer project that builds against the installed package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd "${FOLIO_BUILD_DIR:-build}"
ctest --output-on-failure -j "${FOLIO_JOBS:-$(nproc)}" "$@"
