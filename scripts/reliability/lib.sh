# shellcheck shell=bash disable=SC2034  # SHORT, TOKEN… are read by the sourcing scripts
# Shared helpers for scripts/reliability/*.sh; source it after `set -euo pipefail`.
#   rel_init "$@"          parse [--short] [--folio PATH], make $WORK, install the cleanup trap
#   rel_start DIR PORT …   start `folio serve` on DIR (extra serve flags after PORT); $SERVER_PID
#   rel_stop / rel_kill9   stop it gracefully / SIGKILL it (both reap it)
#   rel_load SUBCMD …      run load.py (see its docstring)
#   rel_pass / rel_fail R  print the final line and exit
# Every wait has a deadline; everything started is killed by pid on exit. $WORK (logs) is
# removed on PASS unless REL_KEEP=1.

REL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$REL_DIR/../.." && pwd)
NAME=$(basename "$0" .sh)
FOLIO="$REPO_ROOT/build/app/folio"
SHORT=0             # --short: the ctest-sized run (read by the scripts)
TOKEN=reliability-token
SERVER_PID=""
REL_PIDS=()          # background processes to kill on exit
REL_ON_EXIT=()       # extra cleanup commands (e.g. umount), run after the kills
REL_STATUS=1         # becomes 0 in rel_pass; keeps $WORK for a look on failure
REL_VERDICT=0        # 1 once PASS/FAIL was printed
REL_ERR=""           # the top-level command that failed, if set -e ended the script

rel_init() {
  while (($#)); do
    case "$1" in
      --short) SHORT=1 ;;
      --folio) FOLIO=$2; shift ;;
      *) echo "usage: $0 [--short] [--folio PATH]" >&2; exit 2 ;;
    esac
    shift
  done
  WORK=$(mktemp -d "/tmp/folio-rel-$NAME.XXXXXX")
  trap rel_cleanup EXIT
  trap 'exit 130' INT TERM
  trap 'REL_ERR="line $LINENO: $BASH_COMMAND"' ERR
  # Run a private copy: the lead rebuilds build/app/folio while we run (it may vanish briefly).
  local i
  for ((i = 0; i < 120; i++)); do
    if [[ -x "$FOLIO" ]] && cp "$FOLIO" "$WORK/folio" 2>/dev/null && "$WORK/folio" --help >/dev/null 2>&1; then
      FOLIO="$WORK/folio"
      return 0
    fi
    sleep 1
  done
  rel_fail "no runnable folio binary at $FOLIO"
}

rel_cleanup() {
  local rc=$? pid cmd
  # set -e (or a signal) ended the script before a verdict: still end with a FAIL line.
  if ((REL_VERDICT == 0)); then echo "$NAME: FAIL (stopped early, exit $rc${REL_ERR:+ at $REL_ERR})"; fi
  for pid in $SERVER_PID "${REL_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for cmd in "${REL_ON_EXIT[@]}"; do eval "$cmd" || true; done
  if ((REL_STATUS == 0)) && [[ -z "${REL_KEEP:-}" ]]; then rm -rf "$WORK"; else echo "logs kept in $WORK" >&2; fi
}

rel_pass() { REL_STATUS=0 REL_VERDICT=1; echo "$NAME: PASS"; exit 0; }
rel_fail() { REL_VERDICT=1; echo "$NAME: FAIL ($*)"; exit 1; }

# A free port in 20000-29999 (bind to it and let go; the small race is acceptable here).
rel_port() {
  python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 29999)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()'
}

# `folio init` plus nothing else: types and documents go through HTTP (load.py seed).
rel_init_data() { "$FOLIO" --data-dir "$1" init >>"$WORK/server.log" 2>&1; }

# rel_start DIR PORT [serve flags…]: REL_NOFILE=N limits the server's open files;
# REL_FOLIO_FLAGS adds folio's global flags (e.g. "--l1-bytes 8388608").
rel_start() {
  local dir=$1 port=$2
  shift 2
  local -a global=()
  read -r -a global <<<"${REL_FOLIO_FLAGS:-}"
  (
    if [[ -n "${REL_NOFILE:-}" ]]; then ulimit -n "$REL_NOFILE"; fi
    exec "$FOLIO" --data-dir "$dir" "${global[@]}" serve --listen "127.0.0.1:$port" --token "$TOKEN" \
      --threads 2 --no-access-log "$@"
  ) >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  rel_wait_healthy "$port" 20
}

# Polls /healthz; returns 1 if the server died or did not answer in time.
rel_wait_healthy() {
  local port=$1 limit=${2:-20} deadline
  deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    curl -fsS --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

rel_alive() { [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; }

# How the server ended, once it is dead: "exit N" or "signal NAME".
rel_exit_reason() {
  local rc=0
  wait "$SERVER_PID" 2>/dev/null || rc=$?
  SERVER_PID=""
  if ((rc > 128)); then echo "signal $(kill -l $((rc - 128)))"; else echo "exit $rc"; fi
}

rel_stop() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$SERVER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

rel_kill9() {
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

rel_load() { timeout 900 python3 "$REL_DIR/load.py" "$@"; }

# rel_json FILE KEY: one field of load.py's JSON output.
rel_json() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"; }

# rel_http METHOD URL [BODY]: prints "STATUS SECONDS"; the body lands in $WORK/last_body.
rel_http() {
  local args=(-s -o "$WORK/last_body" -w '%{http_code} %{time_total}\n' --max-time 30 -X "$1"
              -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')
  [[ $# -ge 3 ]] && args+=(--data "$3")
  curl "${args[@]}" "$2" || true
}
