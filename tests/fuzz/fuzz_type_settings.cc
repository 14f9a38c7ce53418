// Fuzzes the `settings` text of `document_types` rows (storage/detail/type_row.cc) and the JSON
// Schema it may carry (settings.jsonSchema, storage/detail/data_schema.cc): folio reads both
// from databases other programs wrote, compiles the schema with valijson and RE2, and checks
// every write to the type against it.
//
// Input: the settings text, then optionally byte 0x1e and a document's `data` to check against
// the schema. Properties: the lenient read (a stored row) never fails; the strict one (a client's
// settings) refuses only with InvalidArgument, and what it accepts writes back to text it reads
// the same way; MakeTypeInfo refuses only with InvalidArgument or Conflict; a compiled schema
// checks any document without crashing, Validate agrees with Check, and every failure points
// into the document.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "detail/data_schema.h"
#include "detail/store_impl.h"
#include "detail/type_row.h"
#include "fuzz_support.h"

namespace {

namespace storage = folio::storage;
namespace detail = folio::storage::detail;

void CheckDocument(const detail::DataSchema& schema, const nlohmann::json& data) {
  const auto failures = schema.Check(data);
  FUZZ_CHECK(schema.Validate(data).ok() == failures.empty(), data.dump());
  for (const auto& failure : failures) {
    FUZZ_CHECK(failure.pointer.empty() || failure.pointer[0] == '/', failure.pointer);
    FUZZ_CHECK(!failure.message.empty(), "a failure without a message");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view input = folio::fuzz::AsText(bytes, size);
  const size_t cut = input.find('\x1e');
  const std::string_view settings = input.substr(0, cut);

  auto lenient = detail::ParseTypeRow("t", "", "[]", settings);
  FUZZ_CHECK(lenient.ok(), "a stored row's settings refused: " + lenient.status().ToString());

  auto strict = detail::ParseTypeSettings(settings);
  if (strict.ok()) {
    const std::string text = detail::SettingsText(*strict);
    auto again = detail::ParseTypeSettings(text);
    FUZZ_CHECK(again.ok(), "settings folio wrote are refused: " + again.status().ToString());
    FUZZ_CHECK(detail::SettingsText(*again) == text,
               text + " then " + detail::SettingsText(*again));
  } else {
    FUZZ_CHECK(strict.status().IsInvalidArgument(), strict.status().ToString());
  }

  auto info = storage::MakeTypeInfo(*lenient);
  if (!info.ok()) {
    FUZZ_CHECK(info.status().IsInvalidArgument() || info.status().IsConflict(),
               info.status().ToString());
    return 0;
  }
  if (info->data_schema == nullptr) return 0;
  CheckDocument(*info->data_schema, nlohmann::json::object());
  if (cut != std::string_view::npos) {
    const auto data = nlohmann::json::parse(input.substr(cut + 1), nullptr, false);
    if (!data.is_discarded()) CheckDocument(*info->data_schema, data);
  }
  return 0;
}
