#!/usr/bin/env bash
# SIGKILL the server at random moments under a writer and readers; after every restart on the
# same data dir, no acknowledged write may be lost and no listing may differ from SQLite.
set -euo pipefail
# shellcheck source=scripts/reliability/lib.sh
source "$(dirname "$0")/lib.sh"
rel_init "$@"

kills=500
((SHORT)) && kills=10
data="$WORK/data" port=$(rel_port)
rel_init_data "$data"
rel_start "$data" "$port" || rel_fail "server did not start"
rel_load seed --port "$port" --token "$TOKEN" --count 5 >"$WORK/roots"

# The writer outlives the kills: it reconnects, and only a 2xx publish counts as acknowledged.
python3 "$REL_DIR/load.py" writer --port "$port" --token "$TOKEN" --roots "$WORK/roots" \
  --acks "$WORK/acks" --readers 2 >"$WORK/writer.json" &
writer=$!
REL_PIDS+=("$writer")

stale=0 lost=0 errors=0 done_kills=0
for ((k = 1; k <= kills; k++)); do
  # A random moment: 50–500 ms of writes and reads (some in flight) before the kill.
  sleep "0.$(printf '%03d' $((50 + RANDOM % 450)))"
  rel_kill9
  done_kills=$k
  rel_start "$data" "$port" || rel_fail "restart $k failed: $(tail -n 3 "$WORK/server.log" | tr '\n' ' ')"
  # Freeze the clients while checking, so the server and SQLite are compared at rest; the
  # pause lets a write already sent finish (its ack is not recorded: it counts as "later").
  kill -STOP "$writer"
  sleep 0.2
  rel_load verify --port "$port" --db "$data/folio.sqlite" --roots "$WORK/roots" \
    --acks "$WORK/acks" >"$WORK/verify.json"
  kill -CONT "$writer"
  s=$(rel_json "$WORK/verify.json" stale) l=$(rel_json "$WORK/verify.json" lost)
  e=$(rel_json "$WORK/verify.json" errors)
  stale=$((stale + s)) lost=$((lost + l)) errors=$((errors + e))
  if ((s + l + e > 0)); then
    echo "after kill $k: $(rel_json "$WORK/verify.json" details)" >&2
  fi
done

kill -TERM "$writer"
wait "$writer" || true
echo "kills: $done_kills"
echo "acknowledged writes: $(wc -l <"$WORK/acks")"
echo "lost writes: $lost"
echo "stale pages: $stale"
echo "failed reads at check: $errors"
echo "client reads during the run: ok $(rel_json "$WORK/writer.json" reads_ok), failed $(rel_json "$WORK/writer.json" reads_err)"
((lost == 0)) || rel_fail "$lost acknowledged writes lost"
((stale == 0)) || rel_fail "$stale stale pages"
((errors == 0)) || rel_fail "$errors reads failed after a restart"
rel_pass
