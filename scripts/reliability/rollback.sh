#!/usr/bin/env bash
# Restore an older folio.sqlite under a data dir whose L2 holds pages of the newer (lost)
# timeline. Once the restored timeline publishes again its generation counters pass the
# same numbers the lost one used: no page of the lost timeline may be served.
set -euo pipefail
# shellcheck source=scripts/reliability/lib.sh
source "$(dirname "$0")/lib.sh"
rel_init "$@"

data="$WORK/data" port=$(rel_port)
db="$data/folio.sqlite"
rel_init_data "$data"
rel_start "$data" "$port" || rel_fail "server did not start"
rel_load seed --port "$port" --token "$TOKEN" --count 3 >"$WORK/roots"
mapfile -t roots <"$WORK/roots"
root=${roots[0]}
doc="http://127.0.0.1:$port/v1/default/documents/$root"

# publish VALUE: patch + publish the document; fails the run unless both answer 2xx.
publish() {
  local st1 st2
  read -r st1 _ < <(rel_http PATCH "$doc" "{\"data\":{\"views\":$1}}")
  read -r st2 _ < <(rel_http POST "$doc/publish")
  [[ "$st1" == 2* && "$st2" == 2* ]] || rel_fail "publishing views=$1 answered $st1/$st2"
}
# Reads every verified listing and the documents twice (the second read is a cache hit).
read_all() { rel_load verify --port "$port" --db "$db" --roots "$WORK/roots" >/dev/null; rel_load verify --port "$port" --db "$db" --roots "$WORK/roots" >/dev/null; }

publish 1
read_all
timeout 30 sqlite3 "$db" ".backup '$WORK/backup.sqlite'"   # consistent even while serving

# The timeline that will be lost: views=2, then 3, each read so L2 caches its pages.
publish 2
read_all
publish 3
read_all
rel_stop

cp "$WORK/backup.sqlite" "$db"
rm -f "$db-wal" "$db-shm"
rel_start "$data" "$port" || rel_fail "server did not start on the restored database"

# Two new publishes on the restored timeline, with values the lost one never had; after
# each, the listings and the document must match SQLite (a lost-timeline page would say 2/3).
results=() bad=0
for v in 5 6; do
  publish "$v"
  rel_load verify --port "$port" --db "$db" --roots "$WORK/roots" >"$WORK/verify_$v.json"
  got=$(curl -s --max-time 10 "$doc" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["data"]["views"])' || echo "?")
  sql=$(timeout 30 sqlite3 "$db" "select json_extract(data,'\$.views') from documents where root_id='$root' and is_published=1")
  stale=$(rel_json "$WORK/verify_$v.json" stale) errors=$(rel_json "$WORK/verify_$v.json" errors)
  results+=("views=$v: GET $got, sqlite $sql, stale pages $stale, failed reads $errors")
  [[ "$got" == "$sql" && "$sql" == "$v" && "$stale$errors" == 00 ]] || {
    bad=$((bad + 1))
    echo "after views=$v: $(rel_json "$WORK/verify_$v.json" details)" >&2
  }
done
printf '%s\n' "${results[@]}"
((bad == 0)) || rel_fail "a page of the lost timeline was served"
rel_pass
