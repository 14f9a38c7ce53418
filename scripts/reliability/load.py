#!/usr/bin/env python3
"""Load generator and checker shared by scripts/reliability/*.sh (stdlib only).

Subcommands (each prints one JSON object on stdout, except seed):
  seed    register type 'post', create and publish N documents; prints their root ids
  mix     saturating keep-alive readers (hot listings + document GETs), optional publisher
          and RSS sampler, for --duration seconds
  writer  patch+publish a counter 'views' round-robin, append each acknowledged value to
          --acks, plus readers; runs until SIGTERM (survives server restarts)
  verify  listings and document GETs through the server against SQLite's published rows
          (and, with --acks, against the last acknowledged value of each document)
  slow    open N connections that send a partial request header and then nothing; time
          when the server closes each; optionally a normal client retrying meanwhile
"""
import argparse
import http.client
import json
import os
import random
import resource
import select
import signal
import socket
import subprocess
import threading
import time

TYPE = "post"
# Full listings (limit >= document count) so each can be compared with SQLite as a map.
LISTINGS = [
    f"/v1/default/types/{TYPE}/documents?limit=100",
    f"/v1/default/types/{TYPE}/documents?limit=100&sort=views",
    f"/v1/default/types/{TYPE}/documents?limit=100&sort=views&order=asc",
    f"/v1/default/types/{TYPE}/documents?limit=100&where.views.gte=0",
]
# Hot pages for the soak: small pages of a few shapes, hit over and over.
HOT = [f"/v1/default/types/{TYPE}/documents?limit={n}&sort={s}"
       for n in (5, 10, 20) for s in ("views", "updated_at")] + LISTINGS


class Client:
    """One keep-alive connection; reconnects after any error."""

    def __init__(self, port, token=None, timeout=5.0):
        self.port, self.timeout, self.conn = port, timeout, None
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, body=None):
        """Returns (status, parsed JSON or None); status 0 on a connection error."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            data = json.dumps(body) if body is not None else None
            self.conn.request(method, path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
            raw = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                return resp.status, json.loads(raw) if raw else None
            except ValueError:
                return resp.status, None
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def read_roots(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def views_of(doc):
    return (doc.get("data") or {}).get("views")


def publish_value(client, root, value):
    """PATCH views=value then publish; True only when both were acknowledged (2xx)."""
    st, _ = client.request("PATCH", f"/v1/default/documents/{root}", {"data": {"views": value}})
    if not 200 <= st < 300:
        return False
    st, _ = client.request("POST", f"/v1/default/documents/{root}/publish")
    return 200 <= st < 300


def cmd_seed(a):
    c = Client(a.port, a.token)
    st, _ = c.request("POST", "/v1/types", {"id": TYPE, "fields": {"views": "integer", "title": "text"},
                                           "facets": ["tags"]})
    if st not in (200, 201, 409):
        raise SystemExit(f"seed: POST /v1/types answered {st}")
    for i in range(a.count):
        st, body = c.request("POST", f"/v1/default/types/{TYPE}/documents",
                             {"data": {"views": i, "title": f"doc {i}", "tags": [f"t{i % 3}"]}})
        if st != 201:
            raise SystemExit(f"seed: create answered {st}")
        root = body["data"]["root_id"]
        st, _ = c.request("POST", f"/v1/default/documents/{root}/publish")
        if st != 200:
            raise SystemExit(f"seed: publish answered {st}")
        print(root, flush=True)


class Counter:
    def __init__(self):
        self.lock, self.ok, self.err, self.kinds = threading.Lock(), 0, 0, {}

    def add(self, status):
        with self.lock:
            if 200 <= status < 300:
                self.ok += 1
            else:
                self.err += 1
                self.kinds[str(status)] = self.kinds.get(str(status), 0) + 1


def reader_loop(port, roots, counter, stop, cold=0.0):
    c, rnd = Client(port), random.Random()
    while not stop.is_set():
        x = rnd.random()
        if x < cold:  # a listing rarely asked before: misses L1, so it goes to L2 and SQLite
            path = f"/v1/default/types/{TYPE}/documents?limit=3&where.views.gte={rnd.randrange(100000)}"
        elif x < 0.5 + cold / 2:
            path = rnd.choice(HOT)
        else:
            path = f"/v1/default/documents/{rnd.choice(roots)}"
        st, _ = c.request("GET", path)
        counter.add(st)
        if st == 0:
            time.sleep(0.02)  # the server is down (kill loop): do not spin
    c.close()


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cmd_mix(a):
    roots, stop, counter = read_roots(a.roots), threading.Event(), Counter()
    threads = [threading.Thread(target=reader_loop, args=(a.port, roots, counter, stop, a.cold),
                                daemon=True) for _ in range(a.threads)]
    pub = {"ok": 0, "err": 0}
    if a.publish_every > 0:
        def publisher():
            c, v = Client(a.port, a.token), 1000
            while not stop.wait(a.publish_every):
                v += 1
                pub["ok" if publish_value(c, random.choice(roots), v) else "err"] += 1
        threads.append(threading.Thread(target=publisher, daemon=True))
    samples = []
    start = time.monotonic()
    for t in threads:
        t.start()
    csv = open(a.rss_csv, "w") if a.rss_csv else None
    if csv:
        csv.write("seconds,rss_kb\n")
    # The main thread samples RSS once a second (and just waits without --rss-pid).
    while (elapsed := time.monotonic() - start) < a.duration:
        if a.rss_pid:
            kb = rss_kb(a.rss_pid)
            if kb is not None:
                samples.append((elapsed, kb))
                if csv:
                    csv.write(f"{elapsed:.1f},{kb}\n")
                    csv.flush()
        time.sleep(min(1.0, max(0.0, a.duration - elapsed)))
    stop.set()
    for t in threads:
        t.join(timeout=10)
    elapsed = time.monotonic() - start
    if a.rss_pid and (kb := rss_kb(a.rss_pid)) is not None:
        samples.append((elapsed, kb))
        if csv:
            csv.write(f"{elapsed:.1f},{kb}\n")
    if csv:
        csv.close()
    out = {"requests": counter.ok + counter.err + pub["ok"] + pub["err"],
           "errors": counter.err + pub["err"], "error_kinds": counter.kinds,
           "publishes": pub["ok"], "publish_errors": pub["err"],
           "req_per_s": round((counter.ok + counter.err) / elapsed, 1)}
    if samples:
        quarter = next(kb for t, kb in samples if t >= elapsed * 0.25)
        out.update(rss_first_kb=samples[0][1], rss_quarter_kb=quarter,
                   rss_max_kb=max(kb for _, kb in samples), rss_last_kb=samples[-1][1])
    print(json.dumps(out))


def cmd_writer(a):
    roots, stop, counter = read_roots(a.roots), threading.Event(), Counter()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    readers = [threading.Thread(target=reader_loop, args=(a.port, roots, counter, stop), daemon=True)
               for _ in range(a.readers)]
    for t in readers:
        t.start()
    c, acks, attempts = Client(a.port, a.token, timeout=3.0), 0, 0
    value = a.start
    fd = os.open(a.acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    while not stop.is_set():
        value += 1  # strictly increasing, so "the acknowledged value or a later one" is ">="
        root = roots[value % len(roots)]
        attempts += 1
        if publish_value(c, root, value):
            os.write(fd, f"{root} {value}\n".encode())  # one write: a whole line or nothing
            acks += 1
        else:
            time.sleep(0.02)
    os.close(fd)
    for t in readers:
        t.join(timeout=10)
    print(json.dumps({"acked": acks, "attempts": attempts, "reads_ok": counter.ok,
                      "reads_err": counter.err}))


def sqlite_published(db):
    """{root_id: views} of published documents, read with the sqlite3 shell (no cache)."""
    out = subprocess.run(
        ["sqlite3", "-cmd", ".timeout 5000", db,
         f"select root_id, json_extract(data,'$.views') from documents "
         f"where is_published=1 and deleted_at is null and type_id='{TYPE}'"],
        capture_output=True, text=True, timeout=20, check=True).stdout
    rows = (line.split("|") for line in out.splitlines() if line)
    return {r: int(v) for r, v in rows}


def cmd_verify(a):
    c, truth = Client(a.port, timeout=10.0), sqlite_published(a.db)
    res = {"checked": 0, "stale": 0, "errors": 0, "lost": 0, "details": []}

    def bad(kind, what):
        res[kind] += 1
        if len(res["details"]) < 10:
            res["details"].append(what)

    for path in LISTINGS:
        res["checked"] += 1
        st, body = c.request("GET", path)
        if st != 200:
            bad("errors", f"{path}: HTTP {st}")
            continue
        seen = {d["root_id"]: views_of(d) for d in body["data"]}
        if seen != truth:
            diff = {r: [seen.get(r), truth.get(r)] for r in set(seen) | set(truth)
                    if seen.get(r) != truth.get(r)}
            bad("stale", f"{path}: [server, sqlite] {diff}")
    acked = {}
    if a.acks and os.path.exists(a.acks):
        with open(a.acks) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    acked[parts[0]] = max(acked.get(parts[0], 0), int(parts[1]))
    for root in read_roots(a.roots):
        res["checked"] += 1
        st, body = c.request("GET", f"/v1/default/documents/{root}?status=published")
        if st != 200:
            bad("errors", f"GET {root}: HTTP {st}")
            continue
        got = views_of(body["data"])
        if got != truth.get(root):
            bad("stale", f"GET {root}: server {got}, sqlite {truth.get(root)}")
        if root in acked and (got is None or got < acked[root]):
            bad("lost", f"{root}: acknowledged {acked[root]}, server shows {got}")
    print(json.dumps(res))


def cmd_slow(a):
    """Opens the slow connections without blocking (some may sit in the accept backlog)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.count + 256), hard))
    t0 = time.monotonic()
    socks = []
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", a.port))
        socks.append(s)
    # Connected (writable) within 3 s: send the partial header, never the blank line.
    pending, connected, deadline = set(socks), set(), time.monotonic() + 3
    while pending and time.monotonic() < deadline:
        _, w, _ = select.select([], list(pending)[:500], [], 0.1)
        for s in w:
            pending.discard(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    connected.add(s)
                except OSError:
                    pass
    opened_at = time.monotonic() - t0
    normal = []  # (seconds since start, status) of a normal client, new connection each time

    def normal_client():
        while time.monotonic() - t0 < a.hold:
            t = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=5)
                conn.request("GET", a.normal)
                st = conn.getresponse().status
                conn.close()
            except (OSError, http.client.HTTPException):
                st = 0
            normal.append((round(time.monotonic() - t0, 3), st, round(time.monotonic() - t, 3)))
            time.sleep(0.1)

    nt = threading.Thread(target=normal_client, daemon=True)
    if a.normal:
        nt.start()
    # Wait for the server to close each connection (EOF or reset), until --hold.
    closed, refused, open_ = {}, 0, set(connected)
    while open_ and time.monotonic() - t0 < a.hold:
        r, _, _ = select.select(list(open_)[:500], [], [], 0.1)
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data.startswith(b"HTTP/1.1 503"):
                refused += 1
            if not data or data.startswith(b"HTTP/"):
                # a reply to a request we never finished: treat it as the server giving up
                closed[s] = time.monotonic() - t0
                open_.discard(s)
    if a.normal:
        nt.join(timeout=10)
    for s in socks:
        s.close()
    times = sorted(closed.values())
    ok = [n for n in normal if 200 <= n[1] < 300]
    print(json.dumps({
        "requested": a.count, "connected": len(connected), "opened_in_s": round(opened_at, 2),
        "closed_by_server": len(times), "refused_503": refused, "still_open": len(open_),
        "close_s_p50": round(times[len(times) // 2], 2) if times else None,
        "close_s_max": round(times[-1], 2) if times else None,
        "normal_requests": len(normal), "normal_ok": len(ok),
        "normal_first_ok_s": ok[0][0] if ok else None,
        "normal_statuses": sorted({n[1] for n in normal}),
        "normal_max_latency_s": max((n[2] for n in normal), default=None)}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("seed", "mix", "writer", "verify", "slow"):
        s = sub.add_parser(name)
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--token", default=None)
    sub.choices["seed"].add_argument("--count", type=int, default=5)
    m = sub.choices["mix"]
    m.add_argument("--roots", required=True)
    m.add_argument("--threads", type=int, default=4)
    m.add_argument("--duration", type=float, default=10)
    m.add_argument("--publish-every", type=float, default=0)
    m.add_argument("--cold", type=float, default=0, help="fraction of never-asked listings")
    m.add_argument("--rss-pid", type=int, default=0)
    m.add_argument("--rss-csv", default="")
    w = sub.choices["writer"]
    w.add_argument("--roots", required=True)
    w.add_argument("--acks", required=True)
    w.add_argument("--readers", type=int, default=2)
    w.add_argument("--start", type=int, default=1000)
    v = sub.choices["verify"]
    v.add_argument("--roots", required=True)
    v.add_argument("--db", required=True)
    v.add_argument("--acks", default="")
    s = sub.choices["slow"]
    s.add_argument("--count", type=int, default=400)
    s.add_argument("--hold", type=float, default=10)
    s.add_argument("--normal", default="", help="path a normal client GETs meanwhile")
    a = p.parse_args()
    {"seed": cmd_seed, "mix": cmd_mix, "writer": cmd_writer, "verify": cmd_verify,
     "slow": cmd_slow}[a.cmd](a)


if __name__ == "__main__":
    main()
