// Who may change a document: SonicJS's DocumentPermissionsService.isAllowed, for writes.
#pragma once

#include <string_view>
#include <vector>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::storage::detail {

// The permissions a write can need. `create` has no document yet: only the type's baseGrants
// decide it.
enum class WritePermission { kCreate, kUpdate, kDelete, kPublish, kManage };
const char* WritePermissionName(WritePermission permission);

// Decides `permission` for `principal` on a document whose rules are `rules` (any
// permissions; those for others are ignored), of a type with `settings`, as SonicJS does:
//  - the principal stands for {user, its roles, its groups}, or for `public` when anonymous
//    (an authenticated principal is not also `public`, so a public deny cannot override its
//    own allow);
//  - among the document's rules for `permission` that name the principal, a deny refuses,
//    else an allow grants;
//  - else the type's baseGrants decide: "public" grants the anonymous principal, a role name
//    grants that role (a role called "public" does not inherit the anonymous grants);
//  - else it is refused.
// A pure function: thread-safe.
bool WriteAllowed(const Principal& principal, const std::vector<PermissionRule>& rules,
                  WritePermission permission, const TypeSettings& settings);

// Ok, or PermissionDenied naming the permission, the document and the principal.
Status CheckWriteAllowed(const Principal& principal, const std::vector<PermissionRule>& rules,
                         WritePermission permission, const TypeSettings& settings,
                         std::string_view type, std::string_view root_id);

}  // namespace folio::storage::detail
