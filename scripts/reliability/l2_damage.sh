#!/usr/bin/env bash
# Damage the L2 file (kv/data.mdb) under a serving, loaded server: (a) delete it, (b) overwrite
# random bytes over its data pages, (c) truncate it to 100 bytes. After (a) and (c) the server
# must be alive and answer 200 with the same data as SQLite. (b) is measured, not required:
# damage that LMDB's writer meets first can corrupt the heap before anything faults, which no
# in-process containment can undo (docs/operations.md); the run counts how often (b) killed
# the server, and requires every answer of a server that survived it to be right. Each damage
# gets a fresh server and an emptied kv/, so one damage's leftovers do not decide the next.
set -euo pipefail
# shellcheck source=scripts/reliability/lib.sh
source "$(dirname "$0")/lib.sh"
rel_init "$@"

data="$WORK/data" port=$(rel_port)
rel_init_data "$data"
rel_start "$data" "$port" || rel_fail "server did not start"
rel_load seed --port "$port" --token "$TOKEN" --count 50 >"$WORK/roots"
mapfile -t roots <"$WORK/roots"
rel_stop

damage() {
  local mdb="$data/kv/data.mdb"
  case "$1" in
    a) rm -f "$mdb" ;;
    b) # Pages 0 and 1 are LMDB's meta pages; garble 256 bytes somewhere in every other page.
      python3 - "$mdb" <<'EOF'
import os, random, sys
fd, page = os.open(sys.argv[1], os.O_WRONLY), 4096
pages = os.fstat(fd).st_size // page
for p in range(2, pages):
    os.pwrite(fd, os.urandom(256), p * page + random.randrange(page - 256))
os.close(fd)
print(f"garbled {max(0, pages - 2)} data pages", file=sys.stderr)
EOF
      ;;
    c) truncate -s 100 "$mdb" ;;
  esac
}

failures=() v=1000 b_runs=0 b_killed=0
cases=(a b c)
((SHORT)) || cases+=(b b b b b b b b b)  # the full run measures (b) ten times
for d in "${cases[@]}"; do
  rm -f "$data/kv/data.mdb" "$data/kv/lock.mdb"
  rel_start "$data" "$port" || rel_fail "server did not start before damage ($d)"
  # Readers only (no publisher), so the check below can compare with SQLite at rest.
  rel_load mix --port "$port" --roots "$WORK/roots" --threads 2 --duration 1 >/dev/null  # fill L2
  echo "($d) data.mdb before: $(stat -c %s "$data/kv/data.mdb") bytes"
  # A third of the reads are never-asked listings: L1 misses that look up and fill the L2.
  rel_load mix --port "$port" --roots "$WORK/roots" --threads 2 --duration 5 --cold 0.3 \
    >"$WORK/mix_$d.json" &
  load=$!
  REL_PIDS+=("$load")
  sleep 1
  damage "$d" 2>&1 | sed "s/^/($d) /"
  sleep 1
  # A write after the damage: its invalidation and the refills go through the damaged L2.
  v=$((v + 1))
  read -r st1 _ < <(rel_http PATCH "http://127.0.0.1:$port/v1/default/documents/${roots[0]}" "{\"data\":{\"views\":$v}}")
  read -r st2 _ < <(rel_http POST "http://127.0.0.1:$port/v1/default/documents/${roots[0]}/publish")
  wait "$load" || true
  errs=$(rel_json "$WORK/mix_$d.json" errors 2>/dev/null || echo "?")
  [[ $d == b ]] && b_runs=$((b_runs + 1))
  if ! rel_alive; then
    why=$(rel_exit_reason)
    echo "($d) server died: $why; log: $(grep -aiE 'assert|fatal|error|mdb|munmap|free' "$WORK/server.log" | tail -n 2 | tr '\n' ' ')"
    if [[ $d == b ]]; then
      b_killed=$((b_killed + 1))
    else
      failures+=("($d) killed the server ($why)")
    fi
    continue
  fi
  rel_load verify --port "$port" --db "$data/folio.sqlite" --roots "$WORK/roots" >"$WORK/verify_$d.json"
  stale=$(rel_json "$WORK/verify_$d.json" stale) bad=$(rel_json "$WORK/verify_$d.json" errors)
  # The L2's own account: proof the damage was seen (faults) and whether the tier is still used.
  echo "($d) kv after: $(curl -s --max-time 5 "http://127.0.0.1:$port/v1/stats" | python3 -c '
import json, sys; k = json.load(sys.stdin).get("kv", {})
print("available=%s faults=%s %s entries=%s" % (k.get("available"), k.get("faults"), k.get("faults_by_kind"), k.get("entries")))')"
  echo "($d) alive; load errors $errs $(rel_json "$WORK/mix_$d.json" error_kinds 2>/dev/null || true); write $st1/$st2; stale $stale; failed reads $bad"
  [[ "$errs" == 0 && "$st1" == 2* && "$st2" == 2* ]] || failures+=("($d) requests failed (load errors $errs, write $st1/$st2)")
  ((stale == 0 && bad == 0)) || failures+=("($d) wrong data: $(rel_json "$WORK/verify_$d.json" details)")
  rel_stop
done

echo "(b) random bytes over the data pages killed the server in $b_killed of $b_runs runs" \
  "(not covered: docs/operations.md)"
((${#failures[@]} == 0)) || rel_fail "${failures[*]}"
rel_pass
