// The bytes of a cached page, the same in L1 and L2:
//   magic "FPG1" | count u32 | documents offset u32 | documents length u32 |
//   cursor offset u32 | cursor length u32 (0xffffffff: none) | body prefix
// where the body prefix is {"data":[…],"meta":{"count":N,"next_cursor":"…"|null,"cache":
// and the offsets point into it (relative to the start of the bytes).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "folio/storage/types.h"

namespace folio::detail {

inline constexpr size_t kPageHeaderBytes = 24;
inline constexpr uint32_t kNoCursor = 0xffffffffu;

std::shared_ptr<const std::string> EncodePage(const storage::Page& page);

// Building a page in place, without copying its documents: BeginPage writes the header and
// the body up to the documents and returns where they start; the caller appends the JSON
// array (DocumentStore::ListInto); FinishPage appends the metadata and fills the header.
size_t BeginPage(std::string& bytes);
void FinishPage(std::string& bytes, size_t documents_at, const storage::Page& page);
// True when `bytes` is a well-formed page (header fields within bounds). Checked on bytes
// read from L2 before they are trusted.
bool IsWellFormedPage(std::string_view bytes);

}  // namespace folio::detail
