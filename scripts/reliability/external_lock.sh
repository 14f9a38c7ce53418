#!/usr/bin/env bash
# Another program holds SQLite's write lock (BEGIN IMMEDIATE) for ~8 s: reads keep answering
# 200 quickly; a write answers 503 (busy) within the busy timeout or succeeds once the lock is
# released; nothing hangs, and a write after the release succeeds.
set -euo pipefail
# shellcheck source=scripts/reliability/lib.sh
source "$(dirname "$0")/lib.sh"
rel_init "$@"

hold=8 busy_timeout=5   # busy_timeout: storage's busy_timeout_ms default (5000)
data="$WORK/data" port=$(rel_port)
rel_init_data "$data"
rel_start "$data" "$port" || rel_fail "server did not start"
rel_load seed --port "$port" --token "$TOKEN" --count 10 >"$WORK/roots"
mapfile -t roots <"$WORK/roots"
base="http://127.0.0.1:$port/v1/default"
rel_http GET "$base/types/post/documents?limit=10" >/dev/null   # now cached

# The lock holder: a separate process, as a Node app or the sqlite3 shell would be.
python3 - "$data/folio.sqlite" "$hold" "$WORK" <<'EOF' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[3] + "/locked", "w").write(str(time.time()))
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
open(sys.argv[3] + "/released", "w").write(str(time.time()))
EOF
REL_PIDS+=($!)
for ((i = 0; i < 200; i++)); do [[ -e "$WORK/locked" ]] && break; sleep 0.05; done
[[ -e "$WORK/locked" ]] || rel_fail "the lock holder did not get the lock"
lock_start=$SECONDS

# Readers meanwhile: a cached listing, a never-asked listing (goes to SQLite), a document.
reader() {
  local i=0 url
  while [[ ! -e "$WORK/stop_reads" ]]; do
    i=$((i + 1))
    for url in "$base/types/post/documents?limit=10" \
               "$base/types/post/documents?limit=5&where.views.gte=$((i % 9))&sort=views&order=asc" \
               "$base/documents/${roots[$((i % 10))]}"; do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 30 "$url" >>"$WORK/reads" || true
    done
    sleep 0.1
  done
}
reader &
REL_PIDS+=($!)

# Writes, one after another, until one starts after the release; each request is timed.
: >"$WORK/writes"
v=100
while :; do
  v=$((v + 1))
  started=$(date +%s.%N)
  read -r st t < <(rel_http PATCH "$base/documents/${roots[0]}" "{\"data\":{\"views\":$v}}")
  echo "patch $st $t $started $(head -c 120 "$WORK/last_body")" >>"$WORK/writes"
  if [[ "$st" == 2* ]]; then
    read -r st t < <(rel_http POST "$base/documents/${roots[0]}/publish")
    echo "publish $st $t $(date +%s.%N) $(head -c 120 "$WORK/last_body")" >>"$WORK/writes"
  fi
  [[ -e "$WORK/released" ]] && [[ "$st" == 2* ]] && break
  ((SECONDS - lock_start < 30)) || rel_fail "no write succeeded within 30 s of taking the lock"
  [[ "$st" == 2* ]] || sleep 0.2
done
touch "$WORK/stop_reads"
sleep 0.5
rel_alive || rel_fail "server died: $(rel_exit_reason)"
rel_load verify --port "$port" --db "$data/folio.sqlite" --roots "$WORK/roots" >"$WORK/verify.json"

# Judge: reads all 200 and < 2 s; each write 2xx, or 503 with a JSON error within the busy
# timeout (+1.5 s); a write slower than that must be a success ending <= 2 s after release.
python3 - "$WORK" "$busy_timeout" <<'EOF' >"$WORK/judge"
import json, sys
work, busy = sys.argv[1], float(sys.argv[2])
locked, released = float(open(work + "/locked").read()), float(open(work + "/released").read())
reads = [l.split() for l in open(work + "/reads") if l.strip()]
bad_reads = [r for r in reads if r[0] != "200"]
max_read = max(float(r[1]) for r in reads)
problems, shown = [], []
for line in open(work + "/writes"):
    kind, st, t, stamp, body = (line.split(" ", 4) + [""])[:5]
    t = float(t)
    shown.append(f"{kind} {st} {t:.2f}s")
    ended = float(stamp) + t if kind == "patch" else float(stamp)
    if st.startswith("2"):
        if t > busy + 1.5 and ended > released + 2:
            problems.append(f"{kind} took {t:.1f}s, ended {ended - released:.1f}s after release")
    elif st == "503":
        if t > busy + 1.5:
            problems.append(f"{kind} 503 after {t:.1f}s (busy timeout {busy:.0f}s)")
        if '"error"' not in body:
            problems.append(f"{kind} 503 without a JSON error")
    else:
        problems.append(f"{kind} answered {st} after {t:.1f}s")
if bad_reads:
    problems.append(f"{len(bad_reads)} reads not 200: {sorted({r[0] for r in bad_reads})}")
if max_read > 2:
    problems.append(f"slowest read {max_read:.2f}s")
print(f"lock held: {released - locked:.1f} s")
print(f"reads during the lock: {len(reads) - len(bad_reads)}/{len(reads)} answered 200, slowest {max_read:.3f} s")
print(f"writes (status latency): {', '.join(shown)}")
print("problems: " + ("; ".join(problems) if problems else "none"))
EOF
cat "$WORK/judge"
echo "stale/failed after: $(rel_json "$WORK/verify.json" stale)/$(rel_json "$WORK/verify.json" errors)"
grep -q '^problems: none$' "$WORK/judge" || rel_fail "$(sed -n 's/^problems: //p' "$WORK/judge")"
[[ "$(rel_json "$WORK/verify.json" stale)$(rel_json "$WORK/verify.json" errors)" == 00 ]] ||
  rel_fail "listing differs from SQLite after the lock"
rel_pass
