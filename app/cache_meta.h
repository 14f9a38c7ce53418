// The cache metadata a page or document answer carries: {"hit":bool,"source":"memory|kv|database"},
// the same facts SonicJS clients read from X-Cache-Status and X-Cache-Source. Shared by the CLI
// and the HTTP service so both print it the same way.
#pragma once

#include <string>

#include "folio/engine/page.h"

namespace folio::app {

inline std::string CacheMetaJson(Tier tier) {
  return std::string("{\"hit\":") + (tier == Tier::kDatabase ? "false" : "true") +
         ",\"source\":\"" + TierName(tier) + "\"}";
}

}  // namespace folio::app
