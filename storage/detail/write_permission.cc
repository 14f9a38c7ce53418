#include "detail/write_permission.h"

#include <algorithm>
#include <string>

namespace folio::storage::detail {
namespace {

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Whether `rule` names the principal (SonicJS matches the exact (type, id) pairs of the
// principal set; folio stores a public rule's id as "" or "*").
bool Names(const PermissionRule& rule, const Principal& principal) {
  if (rule.principal_type == "public") return principal.anonymous();
  if (rule.principal_type == "user") return principal.user_id == rule.principal_id;
  if (rule.principal_type == "role") return Contains(principal.roles, rule.principal_id);
  if (rule.principal_type == "group") return Contains(principal.groups, rule.principal_id);
  return false;  // 'token' principals do not write through folio
}

bool BaseGrantAllows(const Principal& principal, const char* permission,
                     const TypeSettings& settings) {
  if (!settings.base_grants) return false;
  const auto& grants = *settings.base_grants;
  auto grants_to = [&](const std::string& key) {
    auto it = grants.find(key);
    return it != grants.end() &&
           std::find(it->second.begin(), it->second.end(), permission) != it->second.end();
  };
  if (principal.anonymous()) return grants_to("public");
  for (const std::string& role : principal.roles) {
    if (role == "public") continue;  // reserved for the anonymous principal
    if (grants_to(role)) return true;
  }
  return false;
}

}  // namespace

const char* WritePermissionName(WritePermission permission) {
  switch (permission) {
    case WritePermission::kCreate:
      return "create";
    case WritePermission::kUpdate:
      return "update";
    case WritePermission::kDelete:
      return "delete";
    case WritePermission::kPublish:
      return "publish";
    case WritePermission::kManage:
      return "manage";
  }
  return "manage";
}

bool WriteAllowed(const Principal& principal, const std::vector<PermissionRule>& rules,
                  WritePermission permission, const TypeSettings& settings) {
  const char* name = WritePermissionName(permission);
  bool allowed = false;
  for (const PermissionRule& rule : rules) {
    if (rule.permission != name || !Names(rule, principal)) continue;
    if (rule.effect == "deny") return false;  // deny wins
    if (rule.effect == "allow") allowed = true;
  }
  return allowed || BaseGrantAllows(principal, name, settings);
}

namespace {

// The principal as X-Folio-Principal and --as write it: "user:u1,role:editor,group:g1".
std::string PrincipalText(const Principal& principal) {
  std::string text;
  auto add = [&text](std::string_view kind, const std::string& id) {
    if (!text.empty()) text.push_back(',');
    text.append(kind).append(":").append(id);
  };
  if (principal.user_id) add("user", *principal.user_id);
  for (const std::string& role : principal.roles)
    add("role", role);
  for (const std::string& group : principal.groups)
    add("group", group);
  return text;
}

}  // namespace

Status CheckWriteAllowed(const Principal& principal, const std::vector<PermissionRule>& rules,
                         WritePermission permission, const TypeSettings& settings,
                         std::string_view type, std::string_view root_id) {
  if (WriteAllowed(principal, rules, permission, settings)) return Status::Ok();
  const std::string who = principal.anonymous() ? "the public principal"
                                                : "principal '" + PrincipalText(principal) + "'";
  std::string what = root_id.empty() ? "documents of type '" + std::string(type) + "'"
                                     : "document '" + std::string(root_id) + "'";
  return Status::PermissionDenied(who + " may not " + WritePermissionName(permission) + " " + what +
                                  ": no rule of the document or baseGrant of the type " +
                                  "allows it, or a rule denies it");
}

}  // namespace folio::storage::detail
