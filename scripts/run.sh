#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, seed demo documents into the
# default data dir (./folio-data, or $FOLIO_DATA_DIR) when it is new, and start `folio serve`
# on 127.0.0.1:8080. Extra arguments go to `folio serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
folio=./build/app/folio
data_dir=${FOLIO_DATA_DIR:-./folio-data}
if [ ! -f "$data_dir/folio.sqlite" ]; then
  "$folio" --data-dir "$data_dir" seed --count 2000 --types 3
fi
exec "$folio" --data-dir "$data_dir" serve "$@"
