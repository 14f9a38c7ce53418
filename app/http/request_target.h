// The parts of a request target ("/v1/acme/types/post/documents?limit=5&where.views.gt=3"):
// path segments and query parameters, percent-decoded.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "folio/base/status.h"

namespace folio::app {

struct RequestTarget {
  std::vector<std::string> segments;                        // "/v1/a/b" → {"v1","a","b"}
  std::vector<std::pair<std::string, std::string>> params;  // in order; keys may repeat

  // The first value of `key`, or nullptr.
  const std::string* Param(std::string_view key) const;
};

// InvalidArgument for a bad percent escape or a target that is not an absolute path.
Result<RequestTarget> ParseRequestTarget(std::string_view target);

}  // namespace folio::app
