// EngineStats as JSON (for `folio stats` and GET /v1/stats) and as Prometheus text (for
// GET /metrics).
#pragma once

#include <string>

#include "folio/engine/stats.h"

namespace folio::app {

std::string StatsToJson(const EngineStats& stats);

}  // namespace folio::app
