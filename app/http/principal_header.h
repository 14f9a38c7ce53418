// The X-Folio-Principal header: "user:u1,role:editor,group:g1" — who a token-carrying backend
// says is reading or writing. Parsed at the edge; nothing else sees the raw header.
#pragma once

#include <string_view>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::app {

// Items are kind:id separated by commas (spaces around an item are ignored); kinds are user
// (at most one), role and group. InvalidArgument names the item at fault, for an unknown kind,
// a missing id, bytes that are not UTF-8 or control characters. Thread-safe.
Result<storage::Principal> ParsePrincipalHeader(std::string_view header);

}  // namespace folio::app
