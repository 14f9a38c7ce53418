#!/usr/bin/env bash
# What HTTP conventions cost `folio serve` on a hot listing page, against nginx serving the
# very same bytes (issue 14's measure), each pair measured back to back in one run:
#   1. identity: folio's page vs nginx's static file, no compression on either side;
#   2. gzip: folio (Accept-Encoding: gzip, the compressed form kept beside the page) vs nginx
#      with gzip_static (the same bytes gzipped ahead of time, level 6);
#   3. 304: If-None-Match with each server's ETag, on both;
#   4. the access log: folio with its JSON access log on (stderr to a file) vs off, identity.
#
#   bash bench/load/codings_vs_nginx.sh
#
# Loopback only, bounded in time (8 wrk runs of DURATION). It builds nothing: it expects
# ./build/app/folio. It installs wrk and nginx with apt-get when they are missing and stops
# everything it started. Knobs (environment):
#   FOLIO=./build/app/folio  DOCS=2000  LIMIT=100 (documents on the hot page)  DURATION=10s
#   CONNS=32  WRK_THREADS=2  SERVE_THREADS=2  NGINX_WORKERS=2
set -euo pipefail
cd "$(dirname "$0")/../.."

FOLIO=${FOLIO:-./build/app/folio}
DOCS=${DOCS:-2000}
LIMIT=${LIMIT:-100}
SERVE_THREADS=${SERVE_THREADS:-2}
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
load_prerequisites

DATA="$WORK/data"
HOT_PATH="/v1/default/types/blog-post/documents?limit=$LIMIT"
echo "seeding $DOCS documents into $DATA ..."
"$FOLIO" --data-dir "$DATA" seed -n "$DOCS" -k 2 >"$WORK/seed.log" 2>&1 ||
  { cat "$WORK/seed.log" >&2; die "folio seed failed"; }

# start_folio LOG-ARGS…: serves $DATA on a free port, sets BASE and FOLIO_PID.
start_folio() {
  local port
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  "$FOLIO" --data-dir "$DATA" serve --listen "127.0.0.1:$port" --threads "$SERVE_THREADS" \
    "$@" >"$WORK/folio.out" 2>"$WORK/folio.err" &
  FOLIO_PID=$!
  PIDS+=("$FOLIO_PID")
  wait_http "$BASE/healthz" 10 || { cat "$WORK/folio.err" >&2; die "folio serve did not come up"; }
  curl -fsS -o /dev/null "$BASE$HOT_PATH"  # the miss that fills the caches
}
stop_folio() {
  kill "$FOLIO_PID" 2>/dev/null || true
  wait "$FOLIO_PID" 2>/dev/null || true
}

start_folio --no-access-log --log-level warn
mkdir -p "$WORK/www"
curl -fsS -D "$WORK/hot.headers" -o "$WORK/www/page" "$BASE$HOT_PATH"
grep -qi '^x-cache-status: HIT' "$WORK/hot.headers" || die "the warmed page was not a cache hit"
FOLIO_ETAG=$(awk -F': ' 'tolower($1) == "etag" {print $2}' "$WORK/hot.headers" | tr -d '\r')
[[ -n "$FOLIO_ETAG" ]] || die "folio sent no ETag"
curl -fsS -H 'Accept-Encoding: gzip' -o "$WORK/folio.gz" "$BASE$HOT_PATH"
cmp -s <(gzip -dc "$WORK/folio.gz") "$WORK/www/page" ||
  die "folio's gzip body does not decode to its identity body"
gzip -6 -k -n "$WORK/www/page"
chmod 644 "$WORK/www/page" "$WORK/www/page.gz"
PAGE_BYTES=$(stat -c %s "$WORK/www/page")
FOLIO_GZ_BYTES=$(stat -c %s "$WORK/folio.gz")
NGINX_GZ_BYTES=$(stat -c %s "$WORK/www/page.gz")

NGINX_PORT=$(free_port)
NGINX_BASE="http://127.0.0.1:$NGINX_PORT"
start_nginx "$NGINX_PORT" "$WORK/www" "gzip_static on; etag on;"
cmp -s <(curl -fsS "$NGINX_BASE/page") "$WORK/www/page" ||
  die "nginx does not serve the saved page byte for byte"
curl -fsS -H 'Accept-Encoding: gzip' -D "$WORK/nginx.gz.headers" -o /dev/null "$NGINX_BASE/page"
grep -qi '^content-encoding: gzip' "$WORK/nginx.gz.headers" || die "nginx's gzip_static is not on"
NGINX_ETAG=$(curl -fsS -D - -o /dev/null "$NGINX_BASE/page" | awk -F': ' 'tolower($1) == "etag" {print $2}' |
  tr -d '\r')
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $FOLIO_ETAG" "$BASE$HOT_PATH") == 304 ]] ||
  die "folio does not answer its own ETag with 304"
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $NGINX_ETAG" "$NGINX_BASE/page") == 304 ]] ||
  die "nginx does not answer its own ETag with 304"

echo
echo "hot page: GET $HOT_PATH: $PAGE_BYTES bytes; gzip: folio $FOLIO_GZ_BYTES, nginx $NGINX_GZ_BYTES"
DERIVED_BEFORE=$(curl -fsS "$BASE/metrics" | awk '$1 == "folio_derived_forms_total" {print $2}')

run_wrk "folio, identity" "$BASE$HOT_PATH" "$WORK/folio-identity.txt"
run_wrk "nginx, identity" "$NGINX_BASE/page" "$WORK/nginx-identity.txt"
run_wrk "folio, gzip" "$BASE$HOT_PATH" "$WORK/folio-gzip.txt" -H 'Accept-Encoding: gzip'
run_wrk "nginx, gzip_static" "$NGINX_BASE/page" "$WORK/nginx-gzip.txt" -H 'Accept-Encoding: gzip'
run_wrk "folio, 304" "$BASE$HOT_PATH" "$WORK/folio-304.txt" -H "If-None-Match: $FOLIO_ETAG"
run_wrk "nginx, 304" "$NGINX_BASE/page" "$WORK/nginx-304.txt" -H "If-None-Match: $NGINX_ETAG"
DERIVED_AFTER=$(curl -fsS "$BASE/metrics" | awk '$1 == "folio_derived_forms_total" {print $2}')
stop_folio

# Info level: the access log logs 2xx at info.
start_folio --log-format json --log-level info
run_wrk "folio, identity, JSON access log on" "$BASE$HOT_PATH" "$WORK/folio-logged.txt"
stop_folio
LOG_LINES=$(grep -c '"route":"list_documents"' "$WORK/folio.err" || true)

# ---- Report ----------------------------------------------------------------------------------

row() {  # label, folio file, nginx file
  printf '%-30s %12s %12s %8s\n' "$1" "$(rps "$2")" "$(rps "$3")" "$(ratio "$(rps "$2")" "$(rps "$3")")"
}
echo
echo "================ codings_vs_nginx: requests/s, one run ================"
printf '%-30s %s\n' "page" "$HOT_PATH, $PAGE_BYTES bytes (gzip: folio $FOLIO_GZ_BYTES, nginx $NGINX_GZ_BYTES)"
printf '%-30s %12s %12s %8s\n' "" "folio" "nginx" "ratio"
row "identity" "$WORK/folio-identity.txt" "$WORK/nginx-identity.txt"
row "gzip (nginx: gzip_static)" "$WORK/folio-gzip.txt" "$WORK/nginx-gzip.txt"
row "304 Not Modified" "$WORK/folio-304.txt" "$WORK/nginx-304.txt"
printf '%-30s %12s %12s %8s\n' "access log on / off (folio)" "$(rps "$WORK/folio-logged.txt")" \
  "$(rps "$WORK/folio-identity.txt")" "$(ratio "$(rps "$WORK/folio-logged.txt")" "$(rps "$WORK/folio-identity.txt")")"
printf '%-30s %s\n' "gzip forms made" "$DERIVED_BEFORE before the runs (by the check), $((DERIVED_AFTER - DERIVED_BEFORE)) during them"
printf '%-30s %s\n' "access log lines written" "$LOG_LINES (the logged run's requests, plus its warm-up)"

status=0
for f in "$WORK"/folio-*.txt "$WORK"/nginx-*.txt; do
  if [[ $(non2xx "$f") != 0 || $(sockerr "$f") != 0 ]]; then
    echo "FAIL: errors in $(basename "$f" .txt): non-2xx/3xx $(non2xx "$f"), socket errors $(sockerr "$f")" >&2
    status=1
  fi
done
exit $status
