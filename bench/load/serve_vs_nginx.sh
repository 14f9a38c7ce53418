#!/usr/bin/env bash
# `folio serve` on a hot listing page against nginx serving the very same bytes as a static
# file (docs/design.md §6: folio ≥ 0.8× nginx's requests/s), while a writer publishes through the API
# at a fixed rate so invalidation runs concurrently.
#
#   bash bench/load/serve_vs_nginx.sh                      # writer on ANOTHER type (default)
#   WRITE_TYPE=same bash bench/load/serve_vs_nginx.sh      # writer on the hot page's own type
#
# Loopback only, bounded in time (two wrk runs of DURATION) and count (DOCS seeded). It builds
# nothing: it expects ./build/app/folio (bash scripts/run.sh or cmake --build build builds it).
# It installs wrk and nginx with apt-get when they are missing, and stops everything it started
# (trap on EXIT). Knobs (environment):
#   FOLIO=./build/app/folio  DOCS=2000  DURATION=10s  CONNS=32  WRK_THREADS=2
#   SERVE_THREADS=2  NGINX_WORKERS=2  WRITE_RATE=20 (publishes/s; 0 = no writer)
#   WRITE_TYPE=other|same
#   LIMIT=20 (documents on the hot page)
set -euo pipefail

FOLIO=${FOLIO:-./build/app/folio}
DOCS=${DOCS:-2000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
WRK_THREADS=${WRK_THREADS:-2}
SERVE_THREADS=${SERVE_THREADS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-2}
WRITE_RATE=${WRITE_RATE:-20}
WRITE_TYPE=${WRITE_TYPE:-other}
LIMIT=${LIMIT:-20}

HOT_TYPE=blog-post
case "$WRITE_TYPE" in
  other) WRITER_TYPE=product ;;
  same) WRITER_TYPE=$HOT_TYPE ;;
  *) echo "WRITE_TYPE must be 'other' or 'same', not '$WRITE_TYPE'" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/../.."
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
load_prerequisites

# ---- folio: seed, serve, warm ------------------------------------------------------------

DATA="$WORK/data"
FOLIO_PORT=$(free_port)
NGINX_PORT=$(free_port)
[[ "$NGINX_PORT" != "$FOLIO_PORT" ]] || NGINX_PORT=$((FOLIO_PORT + 1))
TOKEN="bench-$RANDOM$RANDOM"
BASE="http://127.0.0.1:$FOLIO_PORT"

echo "seeding $DOCS documents over 2 types ($HOT_TYPE, product) into $DATA ..."
"$FOLIO" --data-dir "$DATA" seed -n "$DOCS" -k 2 >"$WORK/seed.log" 2>&1 ||
  { cat "$WORK/seed.log" >&2; die "folio seed failed"; }

FOLIO_TOKEN="$TOKEN" "$FOLIO" --data-dir "$DATA" serve --listen "127.0.0.1:$FOLIO_PORT" \
  --threads "$SERVE_THREADS" --no-access-log --log-level warn >"$WORK/folio.log" 2>&1 &
PIDS+=($!)
wait_http "$BASE/healthz" 10 || { cat "$WORK/folio.log" >&2; die "folio serve did not come up"; }

HOT_PATH="/v1/default/types/$HOT_TYPE/documents?limit=$LIMIT"
curl -fsS -o /dev/null "$BASE$HOT_PATH"  # the miss that fills the caches
mkdir -p "$WORK/www"
curl -fsS -D "$WORK/hot.headers" -o "$WORK/www/page" "$BASE$HOT_PATH"
grep -qi '^x-cache-status: HIT' "$WORK/hot.headers" ||
  echo "note: the warmed page was not a cache hit: $(grep -i '^x-cache' "$WORK/hot.headers" | tr -d '\r' | tr '\n' ' ')"
PAGE_BYTES=$(stat -c %s "$WORK/www/page")

# ---- nginx: the same bytes as a static file ------------------------------------------------

chmod 644 "$WORK/www/page"
start_nginx "$NGINX_PORT" "$WORK/www"
cmp -s <(curl -fsS "http://127.0.0.1:$NGINX_PORT/page") "$WORK/www/page" ||
  die "nginx does not serve the saved page byte for byte"

# ---- The writer: WRITE_RATE publishes/s of WRITER_TYPE documents through the API -----------

curl -fsS "$BASE/v1/default/types/$WRITER_TYPE/documents?limit=100" |
  grep -o '"root_id":"[^"]*"' | cut -d'"' -f4 >"$WORK/writer.roots"
[[ -s "$WORK/writer.roots" ]] || die "no $WRITER_TYPE documents to write to"
mapfile -t ROOTS <"$WORK/writer.roots"

# One process on one keep-alive connection: spawning a curl per request would cost this 2-core
# machine more CPU than the writes themselves and skew folio's figure, not nginx's.
writer() {  # each tick: PATCH a document's draft, then publish it
  exec python3 - "$FOLIO_PORT" "$TOKEN" "$WRITE_RATE" "$WORK/writer.roots" >>"$WORK/writer.codes" <<'PY'
import http.client, sys, time
port, token, rate, roots_file = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
roots = [r for r in open(roots_file).read().split() if r]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
start, n = time.monotonic(), 0
while True:
    root = roots[n % len(roots)]
    for method, path, body in (("PATCH", f"/v1/default/documents/{root}", f'{{"data":{{"views":{n}}}}}'),
                               ("POST", f"/v1/default/documents/{root}/publish", None)):
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            print(response.status, flush=True)
        except (OSError, http.client.HTTPException):
            print("failed", flush=True)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n += 1
    delay = start + n / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
PY
}

# ---- Runs ----------------------------------------------------------------------------------

if ((WRITE_RATE > 0)); then
  WRITER_DESC="$WRITE_RATE publishes/s of '$WRITER_TYPE' ($([[ $WRITE_TYPE == same ]] &&
    echo "the hot page's own type: invalidated constantly" || echo "another type"))"
else
  WRITER_DESC="none (WRITE_RATE=0)"
fi
echo
echo "hot page: GET $HOT_PATH ($PAGE_BYTES bytes); writer: $WRITER_DESC"

: >"$WORK/writer.codes"
WRITER_PID=""
if ((WRITE_RATE > 0)); then
  writer &
  WRITER_PID=$!
  PIDS+=("$WRITER_PID")
fi
STATS_BEFORE=$(curl -fsS "$BASE/metrics")
run_wrk "folio serve (writer: $WRITER_DESC)" "$BASE$HOT_PATH" "$WORK/wrk-folio.txt"
if [[ -n "$WRITER_PID" ]]; then
  kill "$WRITER_PID" 2>/dev/null || true
  wait "$WRITER_PID" 2>/dev/null || true
  WRITER_PID=""
fi
STATS_AFTER=$(curl -fsS "$BASE/metrics")

run_wrk "nginx static file" "http://127.0.0.1:$NGINX_PORT/page" "$WORK/wrk-nginx.txt"

# ---- Report ----------------------------------------------------------------------------------

metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$2"; }
delta() { echo $(( $(metric "$1" "$STATS_AFTER") - $(metric "$1" "$STATS_BEFORE") )); }
FOLIO_RPS=$(rps "$WORK/wrk-folio.txt")
NGINX_RPS=$(rps "$WORK/wrk-nginx.txt")
FOLIO_NON2XX=$(non2xx "$WORK/wrk-folio.txt")
FOLIO_SOCKERR=$(sockerr "$WORK/wrk-folio.txt")
NGINX_NON2XX=$(non2xx "$WORK/wrk-nginx.txt")
NGINX_SOCKERR=$(sockerr "$WORK/wrk-nginx.txt")
WRITES_TOTAL=$(grep -c . "$WORK/writer.codes" || true)
WRITES_BAD=$(grep -vc '^20[01]$' "$WORK/writer.codes" || true)
RATIO=$(ratio "$FOLIO_RPS" "$NGINX_RPS")
VERDICT=$(awk -v r="$RATIO" 'BEGIN {print (r >= 0.8 ? "meets" : "MISSES")}')

echo
echo "================ serve_vs_nginx (writer: $WRITER_DESC) ================"
printf '%-34s %s\n' "page" "$HOT_PATH, $PAGE_BYTES bytes"
printf '%-34s %s\n' "folio serve requests/s" "$FOLIO_RPS"
printf '%-34s %s\n' "nginx static requests/s" "$NGINX_RPS"
printf '%-34s %s\n' "ratio folio/nginx" "$RATIO ($VERDICT the design target >= 0.8)"
printf '%-34s %s\n' "folio non-2xx / socket errors" "$FOLIO_NON2XX / $FOLIO_SOCKERR (must be 0 / 0)"
printf '%-34s %s\n' "nginx non-2xx / socket errors" "$NGINX_NON2XX / $NGINX_SOCKERR"
printf '%-34s %s\n' "writer requests (PATCH+publish)" "$WRITES_TOTAL, not 200/201: $WRITES_BAD"
printf '%-34s %s\n' "folio during the run: memory hits" "$(delta 'folio_cache_hits_total{tier="memory"}')"
printf '%-34s %s\n' "  kv hits / database reads" \
  "$(delta 'folio_cache_hits_total{tier="kv"}') / $(delta 'folio_cache_hits_total{tier="database"}')"
printf '%-34s %s\n' "  invalidations seen" "$(delta folio_invalidations_total)"
printf '%-34s %s\n' "  writes" "$(delta folio_writes_total)"

status=0
if [[ "$FOLIO_NON2XX" != 0 || "$FOLIO_SOCKERR" != 0 ]]; then
  echo "FAIL: folio answered with errors under load" >&2
  status=1
fi
if [[ "$WRITES_BAD" != 0 ]]; then
  echo "FAIL: $WRITES_BAD writer requests failed" >&2
  status=1
fi
exit $status
