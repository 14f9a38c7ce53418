// JSON that stays exactly as the client wrote it.
//
// A document's `data` is stored as text, and what is read back must be what was written: every
// number lexeme byte for byte (`1e2` stays `1e2`, a 23-digit integer keeps its 23 digits), every
// key in the client's order, every string with its escapes as written (`"\u00e9"` stays six
// characters). A parse-and-dump round trip through a DOM loses all three, so these functions
// work on the text itself: CompactJson checks a value and drops only the whitespace between its
// tokens; ObjectMembers, FindMember and MergePatch read and rewrite compact objects by slicing
// the text, so whatever they do not touch keeps its bytes.
//
// Accepted JSON is RFC 8259 over UTF-8 and nothing more: no comments, no byte order mark, no
// trailing commas, no NaN/Infinity; strings hold well-formed UTF-8 only (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), no raw control characters, and no lone
// surrogate escapes (`"\uD800"` is refused, as nlohmann::json refuses it, so every accepted text
// decodes to valid UTF-8 and nlohmann can parse whatever is stored). An object may not hold the
// same key twice, compared after decoding escapes (`"a"` and `"\u0061"` are the same key).
//
// Byte offsets in error messages count from 0, the first byte of the text given.
//
// Every function here is pure (no state, no I/O) and thread-safe. None throws, and none
// recurses once per nesting level: hostile input nested 100,000 deep is an ordinary error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "folio/base/status.h"

namespace folio::storage {

// Checks that `text` is exactly one JSON value (surrounded by optional whitespace: space, tab,
// LF, CR), nested at most `max_depth` arrays/objects deep (0 allows scalars only), with no
// duplicate key in any object. Returns its compact form: the same tokens in the same order with
// the whitespace between them removed, strings and numbers byte for byte as written.
//
// Errors are InvalidArgument naming the problem and where it is:
//   "invalid JSON at byte 17: expected ',' or '}'"
//   "key 'a' appears twice in one object (byte 30)"
//   "JSON nests deeper than 64 levels (byte 64)"
Result<std::string> CompactJson(std::string_view text, size_t max_depth);

// One member of a JSON object.
struct JsonMember {
  std::string key;            // decoded: escapes resolved, UTF-8
  std::string_view key_text;  // the key as written, quotes and escapes included
  std::string_view value;     // the value's text
};

// The members of `compact_object` in order. The views point into `compact_object`.
// InvalidArgument when it is not an object.
//
// The input is meant to be a CompactJson result (whitespace between tokens is tolerated); the
// values are delimited but not re-validated. Malformed input is never read out of bounds:
// it gives InvalidArgument.
Result<std::vector<JsonMember>> ObjectMembers(std::string_view compact_object);

// The value text of the member `key` (decoded, as in JsonMember::key) of a compact object, a
// view into `compact_object`; nullopt when there is no such member or the text is not an object.
// Stops at the first match without reading the rest of the object.
std::optional<std::string_view> FindMember(std::string_view compact_object, std::string_view key);

// RFC 7396 JSON merge patch of two compact texts (CompactJson results), keeping untouched bytes:
//  - a patch that is not an object replaces the whole target (the result is the patch);
//  - a target that is not an object is treated as {};
//  - members of the target keep their place, key text and value text unless the patch names
//    them; a patch member whose value is null removes the key;
//  - a patch member whose value is an object merges recursively into the target's value (into
//    {} when the target has no such key or its value is not an object: nulls in it are then
//    dropped, as RFC 7396 says), at the target key's position;
//  - any other patch value replaces the target's value text with the patch's text;
//  - keys the target lacks are appended in the patch's order, with the patch's key text.
// The result is compact. Keys are matched after decoding escapes. InvalidArgument when either
// text is malformed.
Result<std::string> MergePatch(std::string_view compact_target, std::string_view compact_patch);

}  // namespace folio::storage
