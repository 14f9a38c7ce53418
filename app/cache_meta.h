// The cache metadata the CLI prints with a page or document: {"hit":bool,"source":"memory|kv|
// database"}, the facts HTTP clients read from X-Cache-Status and X-Cache-Source (an HTTP body
// is the same from every tier, so its ETag is too).
#pragma once

#include <string>
#include <string_view>

#include "folio/engine/page.h"

namespace folio::app {

inline std::string CacheMetaJson(Tier tier) {
  return std::string("{\"hit\":") + (tier == Tier::kDatabase ? "false" : "true") +
         ",\"source\":\"" + TierName(tier) + "\"}";
}

// A page's body with "cache" added to its meta: {"data":[…],"meta":{…,"cache":{…}}}.
inline std::string PageJsonWithCacheMeta(const PageRef& page) {
  std::string_view body = page.body();
  body.remove_suffix(2);  // the body ends with the meta object's "}" and its own
  return std::string(body) + ",\"cache\":" + CacheMetaJson(page.tier()) + "}}";
}

}  // namespace folio::app
