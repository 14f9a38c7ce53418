# Shared plumbing of the bench/load scripts (sourced, not run): installing wrk, nginx and curl
# from Debian when missing, free ports, waiting for a server, cleaning up what a script
# started, seeding and serving folio, an nginx on a directory, and reading wrk's output.
# The sourcing script sets FOLIO first and calls load_prerequisites.

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

load_prerequisites() {
  if [[ ! -x "$FOLIO" ]]; then
    die "no folio binary at $FOLIO. Build it first (bash scripts/run.sh, or cmake -S . -B build \
-DCMAKE_BUILD_TYPE=Release && cmake --build build --target folio), or set FOLIO=/path/to/folio."
  fi
  NGINX=$(command -v nginx || true)
  [[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  [[ -n "$NGINX" ]] || missing+=(nginx)
  command -v curl >/dev/null || missing+=(curl)
  if ((${#missing[@]})); then
    echo "installing ${missing[*]} with apt-get (Debian packages)..."
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    if ! { $sudo apt-get update -qq && \
           DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
      die "could not install ${missing[*]} with apt-get. Install them yourself \
(sudo apt-get install ${missing[*]}) and run this again."
    fi
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [[ -x "$NGINX" ]] || die "nginx is still missing after apt-get install"
    command -v wrk >/dev/null || die "wrk is still missing after apt-get install"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
    2>/dev/null || echo $((20000 + RANDOM % 20000))
}

wait_http() {  # url, seconds
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# Every process a script starts goes in PIDS; the EXIT trap stops them and removes $WORK.
PIDS=()
WORK=$(mktemp -d "/tmp/folio-$(basename "$0" .sh).XXXXXX")
# shellcheck disable=SC2317  # invoked by the trap
load_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap load_cleanup EXIT
trap 'exit 130' INT TERM

# start_nginx PORT ROOT [extra location directives]: nginx serving ROOT/page as JSON.
start_nginx() {
  local port=$1 root=$2 extra=${3:-}
  local dir="$WORK/nginx-$port"
  mkdir -p "$dir"
  chmod 755 "$WORK" "$root"
  cat >"$dir/nginx.conf" <<CONF
worker_processes ${NGINX_WORKERS:-2};
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 65;
  server {
    listen 127.0.0.1:$port;
    location = /page { root $root; default_type application/json; $extra }
  }
}
CONF
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/page" 10 ||
    { cat "$dir/error.log" "$dir/stdout.log" >&2 2>/dev/null; die "nginx did not come up"; }
}

# run_wrk LABEL URL OUTPUT [wrk options…]
run_wrk() {
  local label=$1 url=$2 out=$3
  shift 3
  echo
  echo "== $label: wrk -t${WRK_THREADS:-2} -c${CONNS:-32} -d${DURATION:-10s} $* $url"
  wrk -t"${WRK_THREADS:-2}" -c"${CONNS:-32}" -d"${DURATION:-10s}" --latency "$@" "$url" | tee "$out"
}
rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {print $NF; f=1} END {if (!f) print 0}' "$1"; }
sockerr() {
  awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10; f=1} END {if (!f) print 0}' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
