// `folio bench LOG`: what folio does for a user's own workload. It reads their reads — one
// per line, as a URL, a request target, or a line of folio's access log in any format — and
// replays them against their data dir twice: directly (an Engine without caches, so every
// read is SQLite's work) and through an Engine with its caches, then reports the answering
// tiers, latency percentiles of both, and the speed-up.
//
// Replayed: listing reads (GET /v1/{tenant}/types/{type}/documents?…) and single-document
// reads (GET /v1/{tenant}/documents/{root}?status=&include=), parsed exactly as the HTTP
// service parses them. Writes and other routes are counted and skipped: a replay never
// changes the data. Not thread-safe; one replay at a time per pair of engines.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "folio/engine/engine.h"
#include "folio/storage/types.h"

namespace folio::app {

// One read to replay.
struct ReplayRead {
  bool listing = true;
  storage::Query query{};        // a listing
  std::string tenant{}, root{};  // a document
  storage::Axis axis = storage::Axis::kPublished;
  std::vector<std::string> include{};
};

struct ReplayLog {
  std::vector<ReplayRead> reads{};
  uint64_t lines = 0;           // non-empty lines that are not comments
  uint64_t skipped_writes = 0;  // POST, PUT, PATCH, DELETE
  uint64_t skipped_other = 0;   // other routes, or lines naming no /v1/ target
  uint64_t unparsable = 0;      // a /v1/ read whose target or parameters do not parse
};

// Reads a log: per line a URL ("http://host/v1/…"), a target ("/v1/…"), or an access log
// line (text: `GET "/v1/…" 200 …`; JSON: {"method":…,"target":…}; logfmt: method=… target=…).
// Empty lines and lines starting with '#' are ignored.
ReplayLog ReadReplayLog(std::istream& in);

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0, mean_us = 0;
};

struct ReplayReport {
  uint64_t reads = 0;  // per pass
  int passes = 0;      // through the cached engine (the direct engine reads each once)
  LatencySummary direct{}, engine{};
  uint64_t memory = 0, kv = 0, database = 0;  // the cached engine's answers, by tier
  uint64_t errors = 0;      // reads either engine answered with an error (NotFound included)
  uint64_t mismatches = 0;  // reads whose bytes differ between the two engines
  double speedup = 0;       // direct mean latency / engine mean latency
};

// Replays `log` once through `direct` (caches off) and `passes` times through `cached`.
ReplayReport Replay(const ReplayLog& log, Engine& direct, Engine& cached, int passes);

// The report for a terminal, and as one JSON object (with the log's skip counts).
std::string ReplayReportText(const ReplayLog& log, const ReplayReport& report);
std::string ReplayReportJson(const ReplayLog& log, const ReplayReport& report);

}  // namespace folio::app
