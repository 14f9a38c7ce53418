// Small helpers for writing JSON text by hand on the read path, where pages are assembled from
// stored `data` text instead of being parsed and re-serialized.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace folio::storage::detail {

// Appends `s` as a JSON string literal (quoted, escaped; bytes ≥ 0x80 are passed through).
void AppendJsonString(std::string& out, std::string_view s);
void AppendJsonInt(std::string& out, int64_t v);
void AppendJsonOptionalInt(std::string& out, const std::optional<int64_t>& v);

// URL-safe base64 without padding.
std::string Base64UrlEncode(std::string_view bytes);
// nullopt when `text` holds a character outside the URL-safe alphabet or has a bad length.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace folio::storage::detail
