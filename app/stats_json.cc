#include "stats_json.h"

#include <nlohmann/json.hpp>

namespace folio::app {
namespace {

nlohmann::json TierJson(const TierStats& t) {
  const auto& h = t.latency;
  return {{"hits", t.hits},
          {"misses", t.misses},
          {"fills", t.fills},
          {"latency",
           {{"samples", h.samples},
            {"mean_ns", h.samples ? h.sum_nanos / h.samples : 0},
            {"p50_ns_at_most", h.QuantileUpperBoundNanos(0.50)},
            {"p99_ns_at_most", h.QuantileUpperBoundNanos(0.99)}}}};
}

}  // namespace

std::string StatsToJson(const EngineStats& s) {
  nlohmann::json faults = nlohmann::json::object();
  for (const auto& [kind, n] : s.l2_faults_by_kind)
    faults[kind] = n;
  nlohmann::json j = {{"tiers",
                       {{"memory", TierJson(s.memory)},
                        {"kv", TierJson(s.kv)},
                        {"database", TierJson(s.database)}}},
                      {"coalesced_misses", s.coalesced_misses},
                      {"derived_forms", s.derived_forms},
                      {"writes", s.writes},
                      {"invalidations", s.invalidations},
                      {"stale_fills", s.stale_fills},
                      {"kv_stale", s.kv_stale},
                      {"kv_skipped", s.kv_skipped},
                      {"freshness_resets", s.freshness_resets},
                      {"external_changes", s.external_changes},
                      {"memory",
                       {{"bytes", s.l1_bytes},
                        {"entries", s.l1_entries},
                        {"capacity_bytes", s.l1_capacity_bytes},
                        {"evictions", s.l1_evictions}}},
                      {"kv",
                       {{"available", s.l2_available},
                        {"bytes", s.l2_bytes},
                        {"entries", s.l2_entries},
                        {"map_size_bytes", s.l2_map_size_bytes},
                        {"evictions", s.l2_evictions},
                        {"fills_dropped", s.l2_fills_dropped},
                        {"faults", s.l2_faults},
                        {"faults_by_kind", faults}}}};
  return j.dump();
}

}  // namespace folio::app
