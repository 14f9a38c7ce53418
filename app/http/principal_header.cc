#include "http/principal_header.h"

#include <string>

#include "folio/base/text_checks.h"
#include "http/header_text.h"

namespace folio::app {
namespace {

bool HasControlCharacter(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

Result<storage::Principal> ParsePrincipalHeader(std::string_view header) {
  if (!IsValidUtf8(header)) {
    return Status::InvalidArgument("X-Folio-Principal is not valid UTF-8");
  }
  if (HasControlCharacter(header)) {
    return Status::InvalidArgument("X-Folio-Principal has a control character");
  }
  storage::Principal p;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view item = TrimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (item.empty()) continue;
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos || colon + 1 == item.size()) {
      return Status::InvalidArgument("X-Folio-Principal item '" + std::string(item) +
                                     "' is not kind:id");
    }
    const std::string_view kind = item.substr(0, colon);
    std::string id(item.substr(colon + 1));
    if (kind == "user") {
      if (p.user_id) {
        return Status::InvalidArgument("X-Folio-Principal names more than one user");
      }
      p.user_id = std::move(id);
    } else if (kind == "role") {
      p.roles.push_back(std::move(id));
    } else if (kind == "group") {
      p.groups.push_back(std::move(id));
    } else {
      return Status::InvalidArgument("X-Folio-Principal kind '" + std::string(kind) +
                                     "' is not user, role or group");
    }
  }
  return p;
}

}  // namespace folio::app
