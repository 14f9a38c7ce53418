#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, and run folio on the default
# data dir (./folio-data), seeding demo documents when it is new.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec ./build/app/folio demo "$@"
