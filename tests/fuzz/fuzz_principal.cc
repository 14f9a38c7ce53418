// Fuzzes ParsePrincipalHeader: the X-Folio-Principal header names who reads and writes, and
// what it yields is bound into permission SQL and into every cache key (CanonicalKey), so it
// must refuse what it cannot represent rather than pass it on.
//
// Properties: every refusal is InvalidArgument; every id is non-empty, valid UTF-8 and free of
// control characters; the principal written back as a header parses to the same principal.
#include <cstdint>
#include <string>

#include "folio/base/text_checks.h"
#include "fuzz_support.h"
#include "http/principal_header.h"

namespace {

void CheckId(const std::string& id, const std::string& input) {
  FUZZ_CHECK(!id.empty(), input);
  FUZZ_CHECK(folio::IsValidUtf8(id), input);
  for (const char c : id) {
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, input);
    FUZZ_CHECK(c != ',', input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(folio::fuzz::AsText(data, size));
  auto principal = folio::app::ParsePrincipalHeader(input);
  if (!principal.ok()) {
    FUZZ_CHECK(principal.status().IsInvalidArgument(), principal.status().ToString());
    return 0;
  }
  std::string again;
  if (principal->user_id) {
    CheckId(*principal->user_id, input);
    again += "user:" + *principal->user_id + ",";
  }
  for (const auto& role : principal->roles) {
    CheckId(role, input);
    again += "role:" + role + ",";
  }
  for (const auto& group : principal->groups) {
    CheckId(group, input);
    again += "group:" + group + ",";
  }
  auto reparsed = folio::app::ParsePrincipalHeader(again);
  FUZZ_CHECK(reparsed.ok(), again);
  FUZZ_CHECK(reparsed->user_id == principal->user_id && reparsed->roles == principal->roles &&
                 reparsed->groups == principal->groups,
             input + " vs " + again);
  FUZZ_CHECK(reparsed->CanonicalKey() == principal->CanonicalKey(), again);
  return 0;
}
