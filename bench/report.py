#!/usr/bin/env python3
"""Turns one bench/run.sh results dir into report.md and PNG charts.

    python3 bench/report.py RESULTS_DIR

Reads RESULTS_DIR/run.env, RESULTS_DIR/common/{cache,kv}_bench.json and, for each document count
N, RESULTS_DIR/N/{storage,engine,redis,mix}_bench.json (Google Benchmark JSON, as the binaries
wrote it). Writes RESULTS_DIR/report.md and, when gnuplot is installed, RESULTS_DIR/*.png (the
data and scripts for them under RESULTS_DIR/charts/). Python 3 standard library only.

Exit status: 0, unless a benchmark reported an error or an expected file is missing (1); a
missed target is reported, not an error.
"""

import json
import os
import shutil
import subprocess
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# Reference figures of docs/design.md §6 ("measured on a 2-core machine like yours").
REFERENCE_NS = {
    "direct_raw": 30e3,
    "direct_text": 42e3,
    "direct_nlohmann": 580e3,
    "lmdb_get": 0.6e3,
    "mutex_lru": 0.4e3,
    "redis_get": 39e3,
}


def load_env(path):
    env = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    env[k] = v
    return env


class Bench:
    """One Google Benchmark JSON file: runs by name."""

    def __init__(self, path):
        self.path = path
        self.present = os.path.exists(path)
        self.runs = {}
        self.context = {}
        self.errors = []
        if not self.present:
            return
        with open(path) as f:
            doc = json.load(f)
        self.context = doc.get("context", {})
        for b in doc.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            if b.get("error_occurred"):
                self.errors.append("%s: %s" % (b["name"], b.get("error_message", "error")))
                continue
            self.runs[b["name"]] = b

    def has(self, name):
        return name in self.runs

    def ns(self, name):
        """Wall time per operation, ns (for N threads: wall time / all threads' operations)."""
        b = self.runs.get(name)
        if b is None:
            return None
        return b["real_time"] * UNIT_NS[b.get("time_unit", "ns")]

    def counter(self, name, key):
        b = self.runs.get(name)
        if b is None or key not in b:
            return None
        return float(b[key])

    def names(self, prefix):
        return [n for n in self.runs if n.startswith(prefix)]


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.2f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_us(us):
    return "n/a" if us is None else fmt_ns(us * 1e3)


def fmt_x(x, digits=None):
    if x is None:
        return "n/a"
    if digits is None:
        digits = 0 if x >= 100 else (1 if x >= 10 else 2)
    return "%.*f×" % (digits, x)


def fmt_bytes(b):
    if b is None:
        return "n/a"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return "%.1f %s" % (b / size, unit)
    return "%d B" % b


def fmt_rate(r):
    if r is None:
        return "n/a"
    if r >= 1e6:
        return "%.2f M/s" % (r / 1e6)
    if r >= 1e3:
        return "%.1f k/s" % (r / 1e3)
    return "%.0f /s" % r


def num(text):
    try:
        return "%g" % float(text)
    except ValueError:
        return text


def fmt_pct(x):
    return "n/a" if x is None else "%.1f%%" % (100 * x)


def size_of(name):
    # "Mix/engine/l1:16M/threads:1/iterations:1/manual_time" -> ("16M", 1)
    parts = dict(p.split(":", 1) for p in name.split("/") if ":" in p)
    return parts.get("l1"), int(parts.get("threads", "0"))


def size_bytes(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text and text[-1] in mult:
        return float(text[:-1]) * mult[text[-1]]
    return float(text or 0)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def verdict(value, want, target):
    if value is None:
        return "not measured"
    met = value >= target if want == ">=" else value <= target
    return "**met**" if met else "**not met**"


def load_serve(root):
    """bench/load/serve_vs_nginx.sh's summary lines, from common/serve_vs_nginx.log."""
    common = os.path.join(root, "common")
    out = {}
    for ext in ("skipped", "failed"):
        path = os.path.join(common, "serve_vs_nginx." + ext)
        if os.path.exists(path):
            with open(path) as f:
                out["why"] = f.read().strip()
            out[ext] = True
    path = os.path.join(common, "serve_vs_nginx.log")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                for key, prefix in (("folio", "folio serve requests/s"),
                                    ("nginx", "nginx static requests/s")):
                    if line.startswith(prefix):
                        try:
                            out[key] = float(line[len(prefix):].split()[0])
                        except (ValueError, IndexError):
                            pass
                if line.startswith("page "):
                    out["page"] = line[len("page"):].strip()
    return out


class Workload:
    """Everything measured on one document count."""

    def __init__(self, root, docs):
        self.docs = docs
        self.serve = load_serve(root)
        d = os.path.join(root, str(docs))
        self.storage = Bench(os.path.join(d, "storage_bench.json"))
        self.engine = Bench(os.path.join(d, "engine_bench.json"))
        self.redis = Bench(os.path.join(d, "redis_bench.json"))
        self.mix = Bench(os.path.join(d, "mix_bench.json"))
        e = self.engine
        self.direct = e.ns("BM_DirectPage_First")
        self.direct_rot = e.ns("BM_DirectPage_Rotating")
        self.l1 = e.ns("BM_L1Hit_Sync/real_time/threads:1")
        self.l1_2 = e.ns("BM_L1Hit_Sync/real_time/threads:2")
        self.l1_cb = e.ns("BM_L1Hit_AsyncCallback/real_time/threads:1")
        self.l1_cb_2 = e.ns("BM_L1Hit_AsyncCallback/real_time/threads:2")
        self.l2 = e.ns("BM_L2Hit_Sync")
        self.l2_unverified = e.ns("BM_L2Hit_Unverified")
        self.miss_bare = e.ns("BM_EngineMiss_NoCacheTiers")
        self.miss_all = e.ns("BM_EngineMiss_AllTiers")
        self.herd_reads = e.counter("BM_Herd/real_time", "db_reads_per_herd")
        self.l2_same = self.redis.ns("L2Hit")
        self.redis_get = self.redis.ns("RedisGet")
        self.redis_skipped = self.redis.context.get("redis_skipped")
        reason = os.path.join(d, "redis_bench.skipped")
        if os.path.exists(reason):
            with open(reason) as f:
                self.redis_skipped = f.read().strip()
        self.nlohmann = self.mix.ns("DirectPage/nlohmann")
        self.text_mix = self.mix.ns("DirectPage/text")
        s = self.storage
        self.store_first = s.ns("BM_StorePage_First")
        self.store_deep = s.ns("BM_StorePage_Deep")
        self.raw_first = s.ns("BM_RawPage_First")
        self.raw_deep = s.ns("BM_RawPage_DeepKeyset")
        self.raw_offset = s.ns("BM_RawPage_DeepOffset")

    def errors(self):
        out = []
        for name in self.mix.names("Publish/engine"):
            stale = self.mix.runs[name].get("stale_first_reads", 0)
            if stale:
                out.append("%d documents: the first read after a publish through the engine "
                           "missed the published change %d times" % (self.docs, stale))
        for b in (self.storage, self.engine, self.mix):
            if not b.present:
                out.append("%s is missing" % b.path)
            out.extend(b.errors)
        out.extend(self.redis.errors)
        return out

    # ---- The docs/design.md §6 table ----
    def targets(self):
        """Rows: (target text, figure, baseline, ratio, target, verdict)."""
        rows = []

        def row(what, fig, base, r, want, target, target_text=None):
            rows.append(
                (
                    what,
                    fig,
                    base,
                    fmt_x(r),
                    target_text or ("%s %s×" % ("≥" if want == ">=" else "≤", target)),
                    verdict(r, want, target),
                )
            )

        row(
            "L1 hit (Engine::Query, 1 thread) faster than the direct SQLite page (text-assembled JSON)",
            "L1 hit " + fmt_ns(self.l1),
            "direct page " + fmt_ns(self.direct),
            ratio(self.direct, self.l1),
            ">=",
            200,
        )
        row(
            "L1 hit (AsyncQuery + callback, 1 thread) faster than the direct SQLite page",
            "L1 hit " + fmt_ns(self.l1_cb),
            "direct page " + fmt_ns(self.direct),
            ratio(self.direct, self.l1_cb),
            ">=",
            200,
        )
        row(
            "L1 hit throughput scales from 1 to 2 threads (Engine::Query)",
            "2 threads: %s/op" % fmt_ns(self.l1_2),
            "1 thread: %s/op" % fmt_ns(self.l1),
            ratio(self.l1, self.l1_2),
            ">=",
            1.8,
        )
        row(
            "L2 hit (L1 off) faster than the direct SQLite page",
            "L2 hit " + fmt_ns(self.l2),
            "direct page " + fmt_ns(self.direct),
            ratio(self.direct, self.l2),
            ">=",
            25,
        )
        if self.l2_unverified is not None:
            rows.append(
                (
                    "… with Options::l2_verify_checksums off (bytes not hashed; not the default)",
                    "L2 hit " + fmt_ns(self.l2_unverified),
                    "direct page " + fmt_ns(self.direct),
                    fmt_x(ratio(self.direct, self.l2_unverified)),
                    "(for reference)",
                    "—",
                )
            )
        redis_base = "Redis GET " + fmt_ns(self.redis_get)
        if self.redis_get is None:
            redis_base = "Redis GET skipped: " + (
                self.redis_skipped or ("redis_bench not run" if not self.redis.present else "n/a")
            )
        row(
            "L2 hit faster than a Redis GET of the same bytes over loopback (same process)",
            "L2 hit " + fmt_ns(self.l2_same),
            redis_base,
            ratio(self.redis_get, self.l2_same),
            ">=",
            25,
        )
        row(
            "A miss (L1 + L2 on, a fresh key each time) costs at most the direct page",
            "miss " + fmt_ns(self.miss_all),
            "direct page, same keys " + fmt_ns(self.direct_rot),
            ratio(self.miss_all, self.direct_rot),
            "<=",
            1.2,
        )
        row(
            "A miss (L1 + L2 off, the direct page's query) costs at most the direct page",
            "miss " + fmt_ns(self.miss_bare),
            "direct page " + fmt_ns(self.direct),
            ratio(self.miss_bare, self.direct),
            "<=",
            1.2,
        )
        serve = self.serve
        if serve.get("folio") is not None and serve.get("nginx") is not None:
            row(
                "`folio serve` on a hot page vs nginx serving the same bytes as a static file "
                "(requests/s, wrk on loopback, a writer publishing another type meanwhile)",
                "folio %s req/s" % "{:,.0f}".format(serve["folio"]),
                "nginx %s req/s" % "{:,.0f}".format(serve["nginx"]),
                ratio(serve["folio"], serve["nginx"]),
                ">=",
                0.8,
            )
        else:
            rows.append(
                (
                    "`folio serve` on a hot page vs nginx serving the same bytes as a static file",
                    "not measured",
                    "not measured",
                    "n/a",
                    "≥ 0.8×",
                    "not measured: " + serve.get("why", "no serve_vs_nginx.log"),
                )
            )
        row(
            "Deep pages cost what the first page costs (keyset, DocumentStore::List, page 1000)",
            "page 1000 " + fmt_ns(self.store_deep),
            "page 1 " + fmt_ns(self.store_first),
            ratio(self.store_deep, self.store_first),
            "<=",
            1.2,
        )
        row(
            "… same in plain SQL (keyset, page 1000)",
            "page 1000 " + fmt_ns(self.raw_deep),
            "page 1 " + fmt_ns(self.raw_first),
            ratio(self.raw_deep, self.raw_first),
            "<=",
            1.2,
        )
        row(
            "… while OFFSET at page 1000 does not (plain SQL)",
            "OFFSET page 1000 " + fmt_ns(self.raw_offset),
            "page 1 " + fmt_ns(self.raw_first),
            ratio(self.raw_offset, self.raw_first),
            ">=",
            1.2,
            "> 1.2× (does not cost what page 1 costs)",
        )
        return rows

    # ---- The mix ----
    def mix_runs(self):
        """(kind, l1 text, threads, run) for every Mix run, baseline first."""
        out = []
        for name in self.mix.names("Mix/"):
            kind = name.split("/")[1]
            l1, threads = size_of(name)
            out.append((kind, l1, threads, self.mix.runs[name]))
        out.sort(key=lambda r: (r[0] != "direct", -size_bytes(r[1]) if r[0] == "direct" else 0,
                                r[2], size_bytes(r[1])))
        return out


def mix_section(w):
    runs = w.mix_runs()
    if not runs:
        return "No mix results.\n"
    ctx = w.mix.context
    lines = []
    lines.append(
        "%s distinct queries (Zipf s = %s; the top 1%% of queries draws %s of reads), write "
        "fraction %s (alternately a merge patch of a published document and its publish, by the "
        "reader threads), %s documents over %s types. Each run: one pass over every query, "
        "%s s warm-up, %s s measured."
        % (
            ctx.get("distinct_queries", "?"),
            num(ctx.get("zipf_s", "?")),
            fmt_pct(float(ctx["mix_top1pct_share"])) if "mix_top1pct_share" in ctx else "?",
            num(ctx.get("write_fraction", "?")),
            ctx.get("docs", "?"),
            ctx.get("types", "?"),
            num(ctx.get("warmup_seconds", "?")),
            num(ctx.get("measure_seconds", "?")),
        )
    )
    lines.append("")
    direct_by_threads = {r[2]: r[3] for r in runs if r[0] == "direct"}
    rows = []
    for kind, l1, threads, b in runs:
        base = direct_by_threads.get(threads)
        speedup = ratio(b.get("reads_per_s"), base.get("reads_per_s")) if base else None
        rows.append(
            (
                "direct SQLite (baseline)" if kind == "direct" else "engine, L1 %s" % l1,
                threads,
                fmt_rate(b.get("reads_per_s")),
                fmt_x(speedup) if kind != "direct" else "1×",
                fmt_us(b.get("read_p50_us")),
                fmt_us(b.get("read_p90_us")),
                fmt_us(b.get("read_p99_us")),
                fmt_pct(b.get("l1_hit_ratio")) if kind != "direct" else "—",
                fmt_pct(b.get("l2_hit_ratio")) if kind != "direct" else "—",
                fmt_pct(b.get("db_ratio")) if kind != "direct" else "100%",
                "%d (p50 %s)" % (b.get("writes", 0), fmt_us(b.get("write_p50_us"))),
            )
        )
    lines.append(
        table(
            ["run", "threads", "reads/s", "vs direct", "p50", "p90", "p99", "L1 hits", "L2 hits",
             "SQLite", "writes"],
            rows,
        )
    )
    lines.append("")
    lines.append("Memory of each run: peak RSS since the run started (VmHWM, reset per run; it "
                 "counts the LMDB map's resident file pages, so it grows with L2 as well as L1), "
                 "RSS before the engine opened (the query set and operation plans), and at the "
                 "end of the run L1's bytes, L2's bytes (EngineStats) and the LMDB files' size on "
                 "disk. L2 keeps the pages of old generations until LRU eviction reclaims them:")
    lines.append("")
    rows = []
    for kind, l1, threads, b in runs:
        rows.append(
            (
                "direct SQLite" if kind == "direct" else "engine, L1 %s" % l1,
                threads,
                fmt_bytes(b.get("peak_rss_bytes")),
                fmt_bytes(b.get("rss_before_bytes")) if kind != "direct" else "—",
                ("%s (%d pages)" % (fmt_bytes(b.get("l1_bytes")), b.get("l1_entries", 0)))
                if kind != "direct" else "—",
                ("%s (%d pages)" % (fmt_bytes(b.get("l2_bytes")), b.get("l2_entries", 0)))
                if kind != "direct" else "—",
                fmt_bytes(b.get("lmdb_disk_bytes")) if kind != "direct" else "—",
            )
        )
    lines.append(table(["run", "threads", "peak RSS", "RSS before", "L1 bytes", "L2 bytes",
                        "LMDB on disk"], rows))
    return "\n".join(lines) + "\n"


def publish_section(w):
    e = "Publish/engine/iterations:"
    s = "Publish/store/iterations:"
    en = next(iter(w.mix.names(e)), None)
    sn = next(iter(w.mix.names(s)), None)
    if en is None or sn is None:
        return "No publish results.\n"
    eb, sb = w.mix.runs[en], w.mix.runs[sn]
    rows = []
    for key, what in (
        ("patch", "merge patch (a new draft version)"),
        ("publish", "publish"),
        ("first_read", "first read of the hot page after the publish"),
        ("second_read", "second read"),
    ):
        e50, s50 = eb.get(key + "_p50_us"), sb.get(key + "_p50_us")
        rows.append(
            (
                what,
                fmt_us(e50),
                fmt_us(eb.get(key + "_p99_us")),
                fmt_us(s50),
                fmt_us(sb.get(key + "_p99_us")),
                fmt_x(ratio(e50, s50)),
            )
        )
    out = table(["step", "engine p50", "engine p99", "DocumentStore p50", "DocumentStore p99",
                 "engine / store (p50)"], rows)
    out += (
        "\n\n%d rounds each. Through the engine the first read after a publish was answered by "
        "SQLite in every round but %d, the second by L1 in every round but %d; the published "
        "change was missing from the first read %d times (must be 0).\n"
        % (
            eb.get("iterations", 0),
            eb.get("first_read_not_from_db", 0),
            eb.get("second_read_not_from_l1", 0),
            eb.get("stale_first_reads", 0),
        )
    )
    return out


def latency_rows(w, common):
    """(label, ns, baseline?, reference ns) for the per-tier latency table and chart."""
    return [
        ("L1 hit (Engine::Query)", w.l1, False, None),
        ("L1 hit (AsyncQuery + callback)", w.l1_cb, False, None),
        ("L2 hit (L1 off)", w.l2, False, None),
        ("L2 hit, checksums off", w.l2_unverified, False, None),
        ("miss (L1 + L2 on, fresh key)", w.miss_all, False, None),
        ("direct page, text JSON", w.direct, True, REFERENCE_NS["direct_text"]),
        ("direct page, nlohmann JSON", w.nlohmann, True, REFERENCE_NS["direct_nlohmann"]),
        ("direct page, plain SQL", w.raw_first, True, REFERENCE_NS["direct_raw"]),
        ("Redis GET, same bytes", w.redis_get, True, REFERENCE_NS["redis_get"]),
        ("LMDB zero-copy get, 24 KB", common.get("lmdb"), True, REFERENCE_NS["lmdb_get"]),
        ("single-mutex LRU hit", common.get("mutex_lru"), True, REFERENCE_NS["mutex_lru"]),
    ]


# ---- Charts --------------------------------------------------------------------------------


def gnuplot(charts_dir, name, script):
    path = os.path.join(charts_dir, name + ".gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", name + ".gp"], check=True, cwd=charts_dir)


def draw_charts(root, workloads, common):
    if shutil.which("gnuplot") is None:
        for name in os.listdir(root):
            if name.endswith(".png"):
                os.remove(os.path.join(root, name))
        return ["gnuplot is not installed (apt-get install gnuplot-nox): no charts."]
    charts = os.path.join(root, "charts")
    os.makedirs(charts, exist_ok=True)
    for name in os.listdir(root):
        if name.endswith(".png"):
            os.remove(os.path.join(root, name))
    notes = []
    term = "set terminal pngcairo size 1100,620 font 'Sans,11' noenhanced\n"
    try:
        subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], check=True,
                       stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        term = "set terminal png size 1100,620 noenhanced\n"

    # 1. Latency per tier against the baselines (µs, log scale), one chart per workload:
    # folio's tiers in one colour, the baselines in another, each bar labelled with its time.
    for w in workloads:
        dat = "latency_%d.dat" % w.docs
        with open(os.path.join(charts, dat), "w") as f:
            for i, (label, ns, base, _) in enumerate(latency_rows(w, common)):
                if ns:
                    f.write('%d "%s" %.6g %d "%s"\n'
                            % (i, label, ns / 1e3, 2 if base else 1, fmt_ns(ns)))
        gnuplot(
            charts,
            "latency_%d" % w.docs,
            term
            + "set output '../latency_%d.png'\n" % w.docs
            + "set title 'Latency per operation, %s documents, 1 thread: folio (blue) and its "
            "baselines (orange), log scale'\n" % "{:,}".format(w.docs)
            + "set ylabel 'µs per operation'\nset logscale y\nset grid ytics\n"
            "set style fill solid 0.85 border -1\nset boxwidth 0.7\n"
            "set xtics rotate by -30 left\nset bmargin 9\nunset key\n"
            "set yrange [0.01:5000]\nset xrange [-0.6:%d.6]\n"
            "set linetype 1 lc rgb '#1f77b4'\nset linetype 2 lc rgb '#ff7f0e'\n"
            "plot '%s' using 1:3:4:xtic(2) with boxes lc variable, "
            "'' using 1:($3*1.6):5 with labels font ',10'\n"
            % (len(latency_rows(w, common)) - 1, dat),
        )

    # 2. Hit ratio per tier and latency against L1 size (the Zipf mix, sweep thread count).
    for w in workloads:
        sweep = [r for r in w.mix_runs() if r[0] == "engine"]
        if not sweep:
            continue
        # one row per L1 size, at the sweep's thread count (the most common among them)
        counts = {}
        for _, l1, t, _ in sweep:
            counts[t] = counts.get(t, 0) + 1
        t_sweep = max(counts, key=counts.get)
        rows = sorted((size_bytes(l1), l1, b) for _, l1, t, b in sweep if t == t_sweep)
        dat = "hitratio_%d.dat" % w.docs
        with open(os.path.join(charts, dat), "w") as f:
            for _, l1, b in rows:
                f.write(
                    '"%s" %.6g %.6g %.6g %.6g %.6g\n'
                    % (l1, 100 * b.get("l1_hit_ratio", 0), 100 * b.get("l2_hit_ratio", 0),
                       100 * b.get("db_ratio", 0), b.get("read_p50_us", 0),
                       b.get("read_p99_us", 0))
                )
        gnuplot(
            charts,
            "hitratio_%d" % w.docs,
            term
            + "set output '../hit_ratio_%d.png'\n" % w.docs
            + "set title 'Zipf mix, %s documents, %d thread(s): who answers, and latency, by L1 size'\n"
            % ("{:,}".format(w.docs), t_sweep)
            + "set xlabel 'L1 capacity'\nset ylabel '%% of reads'\nset yrange [0:100]\n"
            "set y2label 'latency, µs (log)'\nset logscale y2\nset y2tics\nset ytics nomirror\n"
            "set grid ytics\nset key outside right\nset rmargin 30\n"
            "set style data linespoints\n"
            "plot '%s' using 0:2:xtic(1) title 'L1 hits %%' lw 2 pt 7 lc rgb '#1f77b4', "
            "'' using 0:3 title 'L2 hits %%' lw 2 pt 5 lc rgb '#2ca02c', "
            "'' using 0:4 title 'SQLite %%' lw 2 pt 9 lc rgb '#d62728', "
            "'' using 0:5 axes x1y2 title 'p50 latency (right)' dt 2 lw 2 pt 6 lc rgb '#555555', "
            "'' using 0:6 axes x1y2 title 'p99 latency (right)' dt 3 lw 2 pt 4 lc rgb '#000000'\n"
            % dat,
        )

    # 3. Throughput against threads: the mix (engine at its largest L1, direct) and L1 hits.
    series = []
    for w in workloads:
        runs = w.mix_runs()
        engine = [r for r in runs if r[0] == "engine"]
        if engine:
            biggest = max(size_bytes(r[1]) for r in engine)
            pts = sorted((t, b.get("reads_per_s")) for _, l1, t, b in engine
                         if size_bytes(l1) == biggest)
            name = next(r[1] for r in engine if size_bytes(r[1]) == biggest)
            series.append(("mix through the engine (L1 %s), %s docs"
                           % (name, "{:,}".format(w.docs)), pts))
        direct = sorted((t, b.get("reads_per_s")) for k, _, t, b in runs if k == "direct")
        if direct:
            series.append(("mix straight from SQLite (baseline), %s docs"
                           % "{:,}".format(w.docs), direct))
        l1pts = [(t, 1e9 / ns) for t, ns in ((1, w.l1), (2, w.l1_2)) if ns]
        if l1pts:
            series.append(("L1 hits only (engine_bench), %s docs" % "{:,}".format(w.docs), l1pts))
    if series:
        plots = []
        for i, (title, pts) in enumerate(series):
            dat = "throughput_%d.dat" % i
            with open(os.path.join(charts, dat), "w") as f:
                for t, r in pts:
                    f.write("%d %.6g\n" % (t, r or 0))
            plots.append("'%s' using 1:2 with linespoints lw 2 pt 7 title '%s'" % (dat, title))
        max_t = max(t for _, pts in series for t, _ in pts)
        gnuplot(
            charts,
            "throughput",
            term
            + "set output '../throughput.png'\n"
            "set title 'Reads per second against reader threads (log scale)'\n"
            "set xlabel 'threads'\nset ylabel 'reads/s'\nset logscale y\nset grid\n"
            "set xtics 1\nset xrange [0.8:%g]\nset key outside bottom center horizontal maxrows 3\n"
            "set bmargin 8\n" % (max_t + 0.2)
            + "plot " + ", ".join(plots) + "\n",
        )
    return notes


# ---- The report ----------------------------------------------------------------------------


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_DIR")
    root = os.path.abspath(sys.argv[1])
    if not os.path.isdir(root):
        sys.exit("report.py: '%s' is not a results dir (bench/run.sh writes them)" % sys.argv[1])
    env = load_env(os.path.join(root, "run.env"))
    docs = [int(d) for d in env.get("docs", "").split(",") if d]
    if not docs:
        docs = sorted(int(d) for d in os.listdir(root) if d.isdigit())
    workloads = [Workload(root, n) for n in docs]
    cache = Bench(os.path.join(root, "common", "cache_bench.json"))
    kv = Bench(os.path.join(root, "common", "kv_bench.json"))
    common = {
        "mutex_lru": cache.ns("BM_MutexLruHit/real_time/threads:1"),
        "lmdb": kv.ns("BM_L2Hit_ZeroCopy"),
    }
    errors = []
    for w in workloads:
        errors.extend(w.errors())
    if load_serve(root).get("failed"):
        errors.append(load_serve(root)["why"])
    for b in (cache, kv):
        if not b.present:
            errors.append("%s is missing" % b.path)
        errors.extend(b.errors)

    quick = env.get("quick") == "1"
    md = []
    md.append("# folio benchmarks — %s, commit %s%s" % (
        env.get("date", "?"), env.get("commit", "?")[:12],
        " (uncommitted changes)" if env.get("dirty") == "yes" else ""))
    md.append("")
    if quick:
        md.append("> **--quick smoke run**: short runs on 20,000 documents; the figures below show "
                  "the machinery works and are not to be quoted.")
        md.append("")
    md.append("Made by `bash bench/run.sh` on %s (%s). Every ratio compares two figures measured "
              "in this run on this machine. Google Benchmark JSON for each binary is beside this "
              "file (`<docs>/<bench>.json`, `common/`), with its console log (`.log`)."
              % (env.get("host", "?"), env.get("cpu", "?")))
    md.append("")
    md.append("Load average (1, 5, 15 min) when the run started: %s; when it ended: %s. Other "
              "work on the machine during the run shows in every figure."
              % (env.get("loadavg_start", "?"), env.get("loadavg_end", "?")))
    md.append("")
    md.append("Settings: documents %s; mix over %s types, %s distinct queries, Zipf s = %s, "
              "write fraction %s, threads %s, L1 sizes %s; Google Benchmark min time %s s."
              % (env.get("docs"), env.get("types"), env.get("queries"), env.get("zipf"),
                 env.get("write_fraction"), env.get("threads"), env.get("l1_sizes"),
                 env.get("min_time")))
    md.append("")
    if errors:
        md.append("## Errors")
        md.append("")
        for e in errors:
            md.append("- " + e)
        md.append("")

    for w in workloads:
        md.append("## docs/design.md §6 targets — %s documents" % "{:,}".format(w.docs))
        md.append("")
        md.append(table(["target", "figure", "baseline", "ratio", "target", "met?"],
                        w.targets()))
        md.append("")
    md.append("How each figure is taken: the direct page is `DocumentStore::List` for the first "
              "page of 20 documents (~1 KB each) of one type (statement cache, bound values, "
              "permission and schedule clauses, JSON assembled from stored text), in the same "
              "process as the engine figure it is compared with (engine_bench). L1 and L2 hits "
              "rotate through 64 warmed pages. A miss with L1 + L2 on queries a key never seen "
              "before, compared with the direct page over the same keys. The Redis GET fetches "
              "the page's stored bytes (~24 KB) with hiredis from a redis-server started by "
              "bench/run.sh on 127.0.0.1 (no persistence), in the same process as the L2 hit it "
              "is compared with (redis_bench). Deep pages: storage_bench, page 1000 of 20. "
              "Targets met within 1.2× count as \"costs what … costs\".")
    md.append("")

    for w in workloads:
        title = "{:,}".format(w.docs)
        md.append("## Latency per tier against the baselines — %s documents" % title)
        md.append("")
        rows = []
        for label, ns, base, ref in latency_rows(w, common):
            vs_l1 = ratio(ns, w.l1) if ns and not label.startswith("L1 hit") else None
            rows.append((label, "baseline" if base else "folio", fmt_ns(ns),
                         fmt_x(vs_l1) if vs_l1 else "", fmt_ns(ref) if ref else ""))
        md.append(table(["operation", "", "time / op (1 thread)", "× an L1 hit",
                         "design reference"], rows))
        md.append("")
        md.append("The nlohmann page reads the same 20 rows and parses each row's `data` into a "
                  "json value, then dumps the page: %s, %s the text-assembled page measured in "
                  "the same process (%s)." % (fmt_ns(w.nlohmann),
                                              fmt_x(ratio(w.nlohmann, w.text_mix)),
                                              fmt_ns(w.text_mix)))
        md.append("")
        if w.herd_reads is not None:
            md.append("Herd: 8 threads missing on one fresh key at once cost %.2f SQLite reads "
                      "per herd." % w.herd_reads)
            md.append("")
        md.append("## Zipf mix: throughput, latency, hit ratio per tier — %s documents" % title)
        md.append("")
        md.append(mix_section(w))
        md.append("## Publish, and the first read after it — %s documents" % title)
        md.append("")
        md.append(publish_section(w))

    notes = draw_charts(root, workloads, common)
    md.append("## Charts")
    md.append("")
    for n in notes:
        md.append(n)
        md.append("")
    for png, what in [
        ("latency_%d.png" % w.docs, "Latency per tier against the baselines, %s documents"
         % "{:,}".format(w.docs)) for w in workloads
    ] + [
        ("hit_ratio_%d.png" % w.docs, "Hit ratio per tier and latency against L1 size, %s "
         "documents" % "{:,}".format(w.docs)) for w in workloads
    ] + [("throughput.png", "Throughput against threads")]:
        if os.path.exists(os.path.join(root, png)):
            md.append("### %s" % what)
            md.append("")
            md.append("![%s](%s)" % (what, png))
            md.append("")

    serve = load_serve(root)
    md.append("## folio serve against nginx")
    md.append("")
    if serve.get("folio") is not None:
        md.append("`bench/load/serve_vs_nginx.sh` (wrk on loopback against `folio serve` and "
                  "against nginx serving the page's bytes as a static file, a writer publishing "
                  "documents of another type meanwhile): page %s; folio %s req/s, nginx %s req/s. "
                  "Its full output: `common/serve_vs_nginx.log`."
                  % (serve.get("page", "?"), "{:,.0f}".format(serve["folio"]),
                     "{:,.0f}".format(serve["nginx"])))
    else:
        md.append("Not measured: %s." % serve.get("why", "no serve_vs_nginx.log"))
    md.append("")
    with open(os.path.join(root, "report.md"), "w") as f:
        f.write("\n".join(md))
    print("report.py: wrote %s" % os.path.join(root, "report.md"))
    for e in errors:
        print("report.py: error: %s" % e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
