// PageRef and DocumentRef: what the engine hands out. Both share immutable bytes with the
// cache (copying a Ref copies a pointer, never page bytes) and stay valid after the entry is
// evicted, for as long as the Ref lives. Safe to read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace folio {

// Which tier answered.
enum class Tier { kMemory, kKv, kDatabase };
// "memory", "kv", "database" (the names SonicJS's X-Cache-Source uses).
const char* TierName(Tier tier);

// A strong validator of `bytes`: XXH3-128 as 32 lower-case hex digits, the form of
// PageRef::content_tag(). For servers that tag what they send (a document's JSON).
std::string ContentTagOf(std::string_view bytes);

// One page of a listing.
//
// The stored bytes hold the page's whole HTTP body, the same from every tier:
//   {"data":[…],"meta":{"count":N,"next_cursor":"…"|null}}
// so a server writes body() as it is, and says which tier answered in headers (tier()).
// content_tag() is a strong validator of body(), computed once when the page was filled (an
// ETag, stable across tiers and processes; a new fill with other bytes has another tag).
class PageRef {
 public:
  PageRef() = default;
  PageRef(std::shared_ptr<const std::string> bytes, Tier tier);

  int count() const;
  std::string_view documents_json() const;  // "[{…},…]"
  std::optional<std::string_view> next_cursor() const;
  std::string_view body() const;
  // 32 lower-case hex digits: XXH3-128 of body().
  std::string_view content_tag() const;
  Tier tier() const { return tier_; }
  bool valid() const { return bytes_ != nullptr; }
  const std::shared_ptr<const std::string>& bytes() const { return bytes_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  Tier tier_ = Tier::kDatabase;
};

// One document, as JSON (Document::ToJson's form). The shared bytes hold the JSON after a
// small header (what it was read at); json() is the document alone.
class DocumentRef {
 public:
  DocumentRef() = default;
  DocumentRef(std::shared_ptr<const std::string> bytes, Tier tier)
      : bytes_(std::move(bytes)), tier_(tier) {}
  // The document at [offset, offset + length) of `bytes` (one of a page's documents).
  DocumentRef(std::shared_ptr<const std::string> bytes, Tier tier, size_t offset, size_t length)
      : bytes_(std::move(bytes)), tier_(tier), offset_(offset), length_(length) {}
  std::string_view json() const;
  Tier tier() const { return tier_; }
  const std::shared_ptr<const std::string>& bytes() const { return bytes_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  Tier tier_ = Tier::kDatabase;
  size_t offset_ = 0;
  size_t length_ = 0;  // 0: the whole document after the header (offset_ unused)
};

}  // namespace folio
