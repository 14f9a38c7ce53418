#!/usr/bin/env bash
# 400 connections that send half a request header and then nothing.
#  1. --max-connections 200 --request-timeout-ms 2000: a normal client still gets answers
#     within about the request timeout, and the server closes the slow connections after the
#     request timeout (not the 60 s idle timeout).
#  2. the server under `ulimit -n 256` (default limits, so it runs out of descriptors): it
#     must not spin (CPU over 5 s stays low) nor flood its log, and must answer once the slow
#     clients leave.
set -euo pipefail
# shellcheck source=scripts/reliability/lib.sh
source "$(dirname "$0")/lib.sh"
rel_init "$@"

data="$WORK/data" port=$(rel_port)
listing="/v1/default/types/post/documents?limit=5"
rel_init_data "$data"
rel_start "$data" "$port" --max-connections 200 --request-timeout-ms 2000 ||
  rel_fail "server did not start"
rel_load seed --port "$port" --token "$TOKEN" --count 3 >"$WORK/roots"

# ---- 1. slow connections against the connection limit and the request timeout
rel_load slow --port "$port" --count 400 --hold 10 --normal "$listing" >"$WORK/slow1.json"
j() { rel_json "$WORK/slow1.json" "$1"; }
echo "part 1: connected $(j connected)/400, refused with 503 $(j refused_503), closed by server $(j closed_by_server), still open at 10 s $(j still_open)"
echo "part 1: slow connections closed after p50 $(j close_s_p50) s, max $(j close_s_max) s"
echo "part 1: normal client ok $(j normal_ok)/$(j normal_requests), first ok at $(j normal_first_ok_s) s, statuses $(j normal_statuses), slowest $(j normal_max_latency_s) s"
problems=()
python3 - "$WORK/slow1.json" <<'EOF' >"$WORK/p1" || true
import json, sys
r, limit = json.load(open(sys.argv[1])), 2.0 + 1.5   # request timeout + slack
if r["still_open"]:
    print(f"{r['still_open']} slow connections still open after 10 s")
if r["close_s_max"] is None or r["close_s_max"] > limit:
    print(f"slow connections closed only after {r['close_s_max']} s")
if r["normal_first_ok_s"] is None or r["normal_first_ok_s"] > limit:
    print(f"normal client first answered at {r['normal_first_ok_s']} s")
EOF
mapfile -t -O "${#problems[@]}" problems <"$WORK/p1"
rel_alive || rel_fail "server died in part 1: $(rel_exit_reason)"
rel_stop

# ---- 2. out of descriptors: default limits so accept() hits EMFILE
# utime + stime (fields 14, 15 of /proc/PID/stat; 12, 13 once "pid (comm) " is cut off).
cpu_ticks() { local s; s=$(<"/proc/$1/stat") && awk '{print $12 + $13}' <<<"${s##*) }"; }
REL_NOFILE=256 rel_start "$data" "$port" || rel_fail "server did not start under ulimit -n 256"
log_before=$(stat -c %s "$WORK/server.log")
rel_load slow --port "$port" --count 400 --hold 8 --normal "$listing" >"$WORK/slow2.json" &
slow=$!
REL_PIDS+=("$slow")
sleep 2   # connections opened (some wait in the backlog)
t0=$(cpu_ticks "$SERVER_PID")
sleep 5
t1=$(cpu_ticks "$SERVER_PID") || rel_fail "server died in part 2: $(rel_exit_reason)"
wait "$slow" || true
hz=$(getconf CLK_TCK)
cpu_ms=$(((t1 - t0) * 1000 / hz))
log_bytes=$(($(stat -c %s "$WORK/server.log") - log_before))
ok_after=no
for ((i = 0; i < 50; i++)); do
  if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port$listing"; then ok_after=yes; break; fi
  sleep 0.1
done
k() { rel_json "$WORK/slow2.json" "$1"; }
echo "part 2: connected $(k connected)/400, closed by server $(k closed_by_server); normal client ok $(k normal_ok)/$(k normal_requests)"
echo "part 2: server cpu over 5 s: ${cpu_ms} ms"
echo "part 2: log growth: ${log_bytes} bytes"
echo "part 2: answers after the slow clients left: $ok_after"
((cpu_ms <= 500)) || problems+=("server used ${cpu_ms} ms of cpu in 5 s out of descriptors")
((log_bytes <= 65536)) || problems+=("log grew ${log_bytes} bytes in part 2")
[[ "$ok_after" == yes ]] || problems+=("no answer after the slow clients left")
rel_alive || problems+=("server died in part 2: $(rel_exit_reason)")

((${#problems[@]} == 0)) || rel_fail "$(IFS=';'; echo "${problems[*]}")"
rel_pass
