#include "permission_rules.h"

#include <nlohmann/json.hpp>

#include "folio/base/text_checks.h"

namespace folio::app {

using nlohmann::json;

Result<std::vector<storage::PermissionRule>> ParsePermissionRules(std::string_view text) {
  if (JsonNestingDepth(text) > kMaxJsonDepth) {
    return Status::InvalidArgument("permission rules nest JSON deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::InvalidArgument("permission rules are not valid JSON");
  const json* list = &body;
  if (body.is_object()) {
    auto it = body.find("rules");
    if (it == body.end()) return Status::InvalidArgument("body needs a \"rules\" array");
    list = &*it;
  }
  if (!list->is_array()) return Status::InvalidArgument("body needs a \"rules\" array");
  std::vector<storage::PermissionRule> rules;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& r = (*list)[i];
    if (!r.is_object()) {
      return Status::InvalidArgument("rule " + std::to_string(i) + " must be an object");
    }
    storage::PermissionRule rule{"", "", "", "allow"};
    for (auto [key, out] :
         {std::pair{"principal_type", &rule.principal_type},
          std::pair{"principal_id", &rule.principal_id}, std::pair{"permission", &rule.permission},
          std::pair{"effect", &rule.effect}}) {
      auto it = r.find(key);
      if (it == r.end() || it->is_null()) continue;
      if (!it->is_string()) {
        return Status::InvalidArgument("rule " + std::to_string(i) + ": " + key +
                                       " must be a string");
      }
      *out = it->get<std::string>();
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::string PermissionRulesJson(const std::vector<storage::PermissionRule>& rules) {
  json list = json::array();
  for (const auto& r : rules) {
    list.push_back({{"principal_type", r.principal_type},
                    {"principal_id", r.principal_id},
                    {"permission", r.permission},
                    {"effect", r.effect}});
  }
  json out = {{"data", {{"rules", std::move(list)}}}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace folio::app
