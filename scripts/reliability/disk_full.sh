#!/usr/bin/env bash
# The data dir on a 16 MiB tmpfs, filled up while the server runs: writes must be refused
# with a clear error (507 + JSON), reads keep answering 200, writes work again once space is
# freed, and SQLite's integrity check passes at the end.
set -euo pipefail
# shellcheck source=scripts/reliability/lib.sh
source "$(dirname "$0")/lib.sh"
rel_init "$@"

data="$WORK/data" port=$(rel_port)
mkdir -p "$data"
mount -t tmpfs -o size=16m tmpfs "$data" || rel_fail "cannot mount a tmpfs (needs root)"
REL_ON_EXIT+=("umount '$data' 2>/dev/null || umount -l '$data'")
rel_init_data "$data"
rel_start "$data" "$port" || rel_fail "server did not start"
rel_load seed --port "$port" --token "$TOKEN" --count 20 >"$WORK/roots"
base="http://127.0.0.1:$port/v1/default"
mapfile -t roots <"$WORK/roots"

# Pages read now are cached; the "uncached" ones below use filter values never asked before.
cached=("$base/types/post/documents?limit=10" "$base/types/post/documents?limit=10&sort=views"
        "$base/documents/${roots[0]}" "$base/documents/${roots[1]}")
for url in "${cached[@]}"; do rel_http GET "$url" >/dev/null; done

# Fill the disk: dd stops at ENOSPC (expected), a second pass takes the last partial block.
dd if=/dev/zero of="$data/filler" bs=1M status=none 2>/dev/null || true
dd if=/dev/zero of="$data/filler2" bs=4k status=none 2>/dev/null || true
echo "free after fill: $(df --output=avail -B1 "$data" | tail -n 1 | tr -d ' ') bytes"

# Writes with a 32 KiB title: each needs fresh pages, so none fits in leftover slack.
big=$(head -c 32768 /dev/zero | tr '\0' x)
refused=0 accepted=0 other=() statuses=() refusal=""
for i in 1 2 3 4 5; do
  if ((i % 2)); then
    read -r st _ < <(rel_http POST "$base/types/post/documents" "{\"data\":{\"views\":$i,\"title\":\"$big\"}}")
  else
    read -r st _ < <(rel_http PATCH "$base/documents/${roots[2]}" "{\"data\":{\"title\":\"$big$i\"}}")
  fi
  statuses+=("$st")
  if [[ "$st" == 507 ]] && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"]' "$WORK/last_body" 2>/dev/null; then
    refused=$((refused + 1))
    refusal=$(head -c 200 "$WORK/last_body")
  elif [[ "$st" == 2* ]]; then
    accepted=$((accepted + 1))
  else
    other+=("$st:$(head -c 200 "$WORK/last_body")")
  fi
done

reads_ok=0 reads=0 read_bad=()
for ((i = 0; i < 3; i++)); do
  for url in "${cached[@]}" "$base/types/post/documents?limit=7&where.views.gte=$((i + 1))" \
             "$base/documents/${roots[$((5 + i))]}"; do
    reads=$((reads + 1))
    read -r st _ < <(rel_http GET "$url")
    if [[ "$st" == 200 ]]; then reads_ok=$((reads_ok + 1)); else read_bad+=("$st"); fi
  done
done
rel_alive || rel_fail "server died while the disk was full: $(rel_exit_reason)"

rm -f "$data/filler" "$data/filler2"
after=()
for i in 1 2 3; do
  read -r st _ < <(rel_http PATCH "$base/documents/${roots[3]}" "{\"data\":{\"views\":$((500 + i))}}")
  read -r st2 _ < <(rel_http POST "$base/documents/${roots[3]}/publish")
  after+=("$st/$st2")
  [[ "$st" == 2* && "$st2" == 2* ]] && break
  sleep 0.5
done
rel_load verify --port "$port" --db "$data/folio.sqlite" --roots "$WORK/roots" >"$WORK/verify.json"
rel_stop
integrity=$(timeout 60 sqlite3 "$data/folio.sqlite" 'PRAGMA integrity_check' 2>&1 | head -n 5 | tr '\n' ' ')

echo "write statuses while full: ${statuses[*]}"
echo "writes refused (507+JSON): $refused, accepted: $accepted, other: ${#other[@]} ${other[*]:-}"
echo "refusal body: $refusal"
echo "reads served while full: $reads_ok/$reads ${read_bad[*]:-}"
echo "writes after freeing space (patch/publish): ${after[*]}"
echo "stale/failed after: $(rel_json "$WORK/verify.json" stale)/$(rel_json "$WORK/verify.json" errors)"
echo "integrity: $integrity"
((refused > 0)) || rel_fail "no write was refused with 507 while the disk was full (statuses ${statuses[*]})"
((${#other[@]} == 0)) || rel_fail "unclear write errors while full: ${other[*]}"
((reads_ok == reads)) || rel_fail "reads failed while full: ${read_bad[*]}"
[[ "${after[-1]}" == 2*/2* ]] || rel_fail "writes still fail after freeing space: ${after[*]}"
[[ "$(rel_json "$WORK/verify.json" stale)$(rel_json "$WORK/verify.json" errors)" == 00 ]] ||
  rel_fail "listing differs from SQLite after the episode"
[[ "$integrity" == "ok " ]] || rel_fail "integrity_check: $integrity"
rel_pass
