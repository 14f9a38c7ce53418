// Fuzzes the exact-JSON reader that takes a document's bytes as the client wrote them
// (storage/exact_json.h): CompactJson, ObjectMembers, FindMember and MergePatch on hostile text.
//
// Input: byte 0 splits the rest into a target (the first part) and a patch (the second).
// Properties:
//  - CompactJson refuses only with InvalidArgument; what it accepts nlohmann accepts too (as
//    the same value), unless a number overflows a double, which nlohmann refuses;
//  - its result is a fixed point (compacting it again gives it back) and holds no whitespace
//    outside strings: its length is at most the input's;
//  - ObjectMembers and FindMember agree on every member of an accepted object;
//  - MergePatch of two accepted texts is accepted text, and parses to what nlohmann's
//    merge_patch gives (when neither holds a duplicate-free but overflowing number).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "folio/storage/exact_json.h"
#include "fuzz_support.h"

namespace {

using nlohmann::json;
namespace storage = folio::storage;

constexpr size_t kDepth = 64;

// The parsed value of accepted text, or discarded when nlohmann refuses it (an overflowing
// number): the only refusal allowed.
json Parse(std::string_view text) {
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return v;
}

void CheckOne(std::string_view text, std::string* compact_out) {
  auto compact = storage::CompactJson(text, kDepth);
  if (!compact.ok()) {
    FUZZ_CHECK(compact.status().IsInvalidArgument(), compact.status().ToString());
    return;
  }
  FUZZ_CHECK(compact->size() <= text.size(), "compact text grew");
  auto again = storage::CompactJson(*compact, kDepth);
  FUZZ_CHECK(again.ok() && *again == *compact, "compact text is not a fixed point");
  json original = Parse(text);
  json parsed = Parse(*compact);
  FUZZ_CHECK(original.is_discarded() == parsed.is_discarded(), "nlohmann disagrees");
  if (!parsed.is_discarded()) FUZZ_CHECK(parsed == original, "compacting changed the value");
  if (!compact->empty() && compact->front() == '{') {
    auto members = storage::ObjectMembers(*compact);
    FUZZ_CHECK(members.ok(), members.status().ToString());
    for (const auto& m : *members) {
      auto found = storage::FindMember(*compact, m.key);
      FUZZ_CHECK(found && *found == m.value, "FindMember disagrees with ObjectMembers");
    }
  }
  *compact_out = std::move(*compact);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input = folio::fuzz::AsText(data + 1, size - 1);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  std::string target, patch;
  CheckOne(input.substr(0, split), &target);
  CheckOne(input.substr(split), &patch);
  if (target.empty() || patch.empty()) return 0;
  auto merged = storage::MergePatch(target, patch);
  FUZZ_CHECK(merged.ok(), merged.status().ToString());
  auto recompacted = storage::CompactJson(*merged, kDepth + 1);
  FUZZ_CHECK(recompacted.ok() && *recompacted == *merged, "merge result is not compact JSON");
  json expected = Parse(target);
  json patch_value = Parse(patch);
  json got = Parse(*merged);
  if (expected.is_discarded() || patch_value.is_discarded() || got.is_discarded()) return 0;
  expected.merge_patch(patch_value);
  FUZZ_CHECK(got == expected, "MergePatch disagrees with RFC 7396 (nlohmann's merge_patch)");
  return 0;
}
