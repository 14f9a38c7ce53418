#include "http/http_metrics.h"

#include "build_info.h"

#include <bit>
#include <cstdio>

namespace folio::app {

const char* RouteName(Route route) {
  switch (route) {
    case Route::kListDocuments:
      return "list_documents";
    case Route::kGetDocument:
      return "get_document";
    case Route::kRegisterType:
      return "register_type";
    case Route::kCreateDocument:
      return "create_document";
    case Route::kReplaceDocument:
      return "replace_document";
    case Route::kPatchDocument:
      return "patch_document";
    case Route::kPublish:
      return "publish";
    case Route::kUnpublish:
      return "unpublish";
    case Route::kRestore:
      return "restore";
    case Route::kDeleteDocument:
      return "delete_document";
    case Route::kGetPermissions:
      return "get_permissions";
    case Route::kSetPermissions:
      return "set_permissions";
    case Route::kHealth:
      return "healthz";
    case Route::kMetrics:
      return "metrics";
    case Route::kStats:
      return "stats";
    case Route::kListTypes:
      return "list_types";
    case Route::kGetType:
      return "get_type";
    case Route::kGetBySlug:
      return "get_by_slug";
    case Route::kListVersions:
      return "list_versions";
    case Route::kGetVersion:
      return "get_version";
    case Route::kRestoreVersion:
      return "restore_version";
    case Route::kListReferrers:
      return "list_referrers";
    case Route::kOpenApi:
      return "openapi";
    case Route::kUnmatched:
    case Route::kCount:
      break;
  }
  return "unmatched";
}

void HttpMetrics::Record(Route route, unsigned status, uint64_t nanos) {
  size_t s = kOtherStatus;
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) s = i;
  }
  requests_[static_cast<size_t>(route)][s].fetch_add(1, std::memory_order_relaxed);
  int bucket = nanos == 0 ? 0 : std::bit_width(nanos);
  if (bucket >= LatencyHistogram::kBuckets) bucket = LatencyHistogram::kBuckets - 1;
  latency_[static_cast<size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  latency_sum_.fetch_add(nanos, std::memory_order_relaxed);
}

namespace {

void Line(std::string& out, const char* fmt, auto... args) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n > 0) out.append(buf, static_cast<size_t>(std::min<int>(n, sizeof buf - 1)));
}

// `labels` is "" or like tier="kv" (no trailing comma).
void Histogram(std::string& out, const char* name, const std::string& labels,
               const LatencyHistogram& h) {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    cumulative += h.counts[i];
    if (cumulative == 0) continue;  // leading empty buckets say nothing
    double le = static_cast<double>(uint64_t{1} << i) / 1e9;
    Line(out, "%s_bucket{%s%sle=\"%.9g\"} %llu\n", name, labels.c_str(), sep.c_str(), le,
         static_cast<unsigned long long>(cumulative));
  }
  Line(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels.c_str(), sep.c_str(),
       static_cast<unsigned long long>(h.samples));
  Line(out, "%s_sum{%s} %.9f\n", name, labels.c_str(), static_cast<double>(h.sum_nanos) / 1e9);
  Line(out, "%s_count{%s} %llu\n", name, labels.c_str(),
       static_cast<unsigned long long>(h.samples));
}

}  // namespace

std::string HttpMetrics::RenderPrometheus(const EngineStats& e) const {
  std::string out;
  out.reserve(8192);
  out += "# HELP folio_build_info The running folio's version and its SQLite library.\n";
  out += "# TYPE folio_build_info gauge\n";
  out += "folio_build_info{version=\"" + std::string(FolioVersion()) + "\",sqlite=\"" +
         std::string(SqliteVersion()) + "\"} 1\n";
  out += "# HELP folio_cache_hits_total Queries answered by each tier.\n";
  out += "# TYPE folio_cache_hits_total counter\n";
  out += "# HELP folio_cache_misses_total Lookups that missed each cache tier.\n";
  out += "# TYPE folio_cache_misses_total counter\n";
  out += "# HELP folio_cache_fills_total Entries written into each cache tier from below.\n";
  out += "# TYPE folio_cache_fills_total counter\n";
  for (auto [tier, t] : {std::pair{"memory", &e.memory}, std::pair{"kv", &e.kv},
                         std::pair{"database", &e.database}}) {
    Line(out, "folio_cache_hits_total{tier=\"%s\"} %llu\n", tier,
         static_cast<unsigned long long>(t->hits));
    Line(out, "folio_cache_misses_total{tier=\"%s\"} %llu\n", tier,
         static_cast<unsigned long long>(t->misses));
    Line(out, "folio_cache_fills_total{tier=\"%s\"} %llu\n", tier,
         static_cast<unsigned long long>(t->fills));
  }
  out +=
      "# HELP folio_query_latency_seconds Latency of queries by the tier that answered "
      "(memory: sampled 1 in 64).\n";
  out += "# TYPE folio_query_latency_seconds histogram\n";
  Histogram(out, "folio_query_latency_seconds", "tier=\"memory\"", e.memory.latency);
  Histogram(out, "folio_query_latency_seconds", "tier=\"kv\"", e.kv.latency);
  Histogram(out, "folio_query_latency_seconds", "tier=\"database\"", e.database.latency);
  auto counter = [&out](const char* name, const char* help, uint64_t v) {
    Line(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
         static_cast<unsigned long long>(v));
  };
  auto gauge = [&out](const char* name, const char* help, uint64_t v) {
    Line(out, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
         static_cast<unsigned long long>(v));
  };
  counter("folio_coalesced_misses_total", "Queries that waited for an identical SQLite read.",
          e.coalesced_misses);
  counter("folio_invalidations_total", "Cached pages and documents dropped by changes.",
          e.invalidations);
  counter("folio_derived_forms_total",
          "Compressed forms of pages made (once per fill and coding) and kept in L1.",
          e.derived_forms);
  counter("folio_stale_fills_total",
          "Reads kept out of the caches: a change applied since their read touched them.",
          e.stale_fills);
  counter("folio_kv_stale_total", "L2 entries found but changed since their read.", e.kv_stale);
  counter("folio_kv_skipped_total",
          "L2 lookups skipped: this process dropped the key for a change since.", e.kv_skipped);
  counter("folio_freshness_resets_total",
          "Times the change log could not be followed and L1 was cleared.", e.freshness_resets);
  counter("folio_external_changes_total", "Commits by other connections noticed by the poller.",
          e.external_changes);
  counter("folio_writes_total", "Writes through this process.", e.writes);
  counter("folio_memory_evictions_total", "L1 entries evicted.", e.l1_evictions);
  counter("folio_kv_evictions_total", "L2 entries evicted by this process.", e.l2_evictions);
  counter("folio_kv_fills_dropped_total", "L2 fills dropped on a full queue.", e.l2_fills_dropped);
  gauge("folio_memory_bytes", "Bytes charged in L1.", e.l1_bytes);
  gauge("folio_memory_entries", "Entries in L1.", e.l1_entries);
  gauge("folio_kv_bytes", "Bytes of live pages in the L2 map.", e.l2_bytes);
  gauge("folio_kv_entries", "Entries in L2.", e.l2_entries);
  out += "# HELP folio_kv_faults_total L2 failures answered from a lower tier.\n";
  out += "# TYPE folio_kv_faults_total counter\n";
  Line(out, "folio_kv_faults_total{kind=\"all\"} %llu\n",
       static_cast<unsigned long long>(e.l2_faults));
  for (const auto& [kind, n] : e.l2_faults_by_kind) {
    Line(out, "folio_kv_faults_total{kind=\"%s\"} %llu\n", kind.c_str(),
         static_cast<unsigned long long>(n));
  }

  out += "# HELP folio_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE folio_http_requests_total counter\n";
  for (size_t r = 0; r < kRoutes; ++r) {
    for (size_t s = 0; s <= kStatuses.size(); ++s) {
      uint64_t n = requests_[r][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      if (s == kOtherStatus) {
        Line(out, "folio_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
             RouteName(static_cast<Route>(r)), static_cast<unsigned long long>(n));
      } else {
        Line(out, "folio_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
             RouteName(static_cast<Route>(r)), kStatuses[s], static_cast<unsigned long long>(n));
      }
    }
  }
  LatencyHistogram http;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    http.counts[static_cast<size_t>(i)] =
        latency_[static_cast<size_t>(i)].load(std::memory_order_relaxed);
    http.samples += http.counts[static_cast<size_t>(i)];
  }
  http.sum_nanos = latency_sum_.load(std::memory_order_relaxed);
  out +=
      "# HELP folio_http_request_duration_seconds Time from a whole request read to its "
      "response handed to the socket.\n";
  out += "# TYPE folio_http_request_duration_seconds histogram\n";
  Histogram(out, "folio_http_request_duration_seconds", "", http);
  Line(out,
       "# HELP folio_http_open_connections Open connections.\n# TYPE folio_http_open_connections "
       "gauge\nfolio_http_open_connections %lld\n",
       static_cast<long long>(open_connections_.load(std::memory_order_relaxed)));
  counter("folio_http_rejected_connections_total", "Connections refused over max-connections.",
          rejected_connections_.load(std::memory_order_relaxed));
  counter("folio_http_accept_failures_total",
          "Failed accepts (out of file descriptors or memory); the server backs off after each.",
          accept_failures_.load(std::memory_order_relaxed));
  return out;
}

}  // namespace folio::app
