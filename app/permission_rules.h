// Permission rules as the CLI and the HTTP API read and print them, one format for both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::app {

// Reads `{"rules":[…]}` or a bare `[…]` of {"principal_type","principal_id","permission",
// "effect"} objects (effect defaults to "allow", principal_id to ""). InvalidArgument names
// what is wrong; the store checks the values themselves. Thread-safe.
Result<std::vector<storage::PermissionRule>> ParsePermissionRules(std::string_view text);

// {"data":{"rules":[…]}}, the rules in the shape ParsePermissionRules reads.
std::string PermissionRulesJson(const std::vector<storage::PermissionRule>& rules);

}  // namespace folio::app
