// The bytes of a cached page and of a cached document, the same in L1 and L2.
//
// A page:
//   magic "FPG4" | count u32 | documents offset u32 | documents length u32 |
//   cursor offset u32 | cursor length u32 (0xffffffff: none) | body end u32 |
//   content tag: 32 lower-case hex digits (XXH3-128 of the body) |
//   body | dependency trailer
// where the body is the page's whole HTTP body, {"data":[…],"meta":{"count":N,
// "next_cursor":"…"|null}}, the same whichever tier serves it, and the offsets point into it
// (relative to the start of the bytes). The content tag is computed once, when the page is
// filled, and is what HTTP sends as its ETag. The trailer says what the page depends on
// (PageTrailer), so an entry read back from L2 — by this process after a restart, or by
// another process — can be checked against the changes since it was read. (FPG3 pages ended
// their body with the cache metadata; the page key carries the format, so an FPG3 entry left
// in an L2 is never looked up, only evicted.)
//
// A document:
//   magic "FDC3" | json length u32 | read-at seq i64 | read-at salt i64 |
//   valid-until micros i64 (0: none; a published document's expires_at) | json
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "folio/storage/changes.h"
#include "folio/storage/types.h"

namespace folio::detail {

inline constexpr size_t kContentTagBytes = 32;
inline constexpr size_t kPageHeaderBytes = 28 + kContentTagBytes;
inline constexpr size_t kDocumentHeaderBytes = 32;
inline constexpr uint32_t kNoCursor = 0xffffffffu;

// What a page depends on, as stored with it.
struct PageTrailer {
  storage::LogPosition read_at;
  std::optional<storage::SortPosition> after;    // the cursor's position (exclusive)
  std::optional<storage::SortPosition> through;  // the last row, when a next page follows
  std::vector<uint64_t> root_hashes;             // RootHash of every row, look-ahead included
};

// The trailer of a page the store says depends on `dependency`.
PageTrailer TrailerFor(const storage::PageDependency& dependency);

// Building a page in place, without copying its documents: BeginPage writes the header and
// the body up to the documents and returns where they start; the caller appends the JSON
// array (DocumentStore::ListInto); FinishPage appends the metadata, fills the header (the
// content tag hashes the finished body) and appends the trailer.
size_t BeginPage(std::string& bytes);
void FinishPage(std::string& bytes, size_t documents_at, const storage::Page& page,
                const PageTrailer& trailer);
// For tests and tools: a whole page from a storage::Page.
std::shared_ptr<const std::string> EncodePage(const storage::Page& page,
                                              const PageTrailer& trailer);
// True when `bytes` is a well-formed page (header fields and trailer within bounds). Checked
// on bytes read from L2 before they are trusted.
bool IsWellFormedPage(std::string_view bytes);
// The trailer of a well-formed page; false when it does not decode.
bool DecodeTrailer(std::string_view page, PageTrailer* out);
// Only the read-at position of a well-formed page: what the common L2 check needs.
storage::LogPosition PageReadAt(std::string_view page);

std::shared_ptr<const std::string> EncodeDocument(std::string_view json,
                                                  storage::LogPosition read_at,
                                                  int64_t valid_until_micros);
bool IsWellFormedDocument(std::string_view bytes);
storage::LogPosition DocumentReadAt(std::string_view document);
int64_t DocumentValidUntilMicros(std::string_view document);

}  // namespace folio::detail
