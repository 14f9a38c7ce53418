#include "detail/page_codec.h"

#include <cstring>

#include "folio/engine/page.h"

namespace folio {
namespace detail {
namespace {

constexpr char kMagic[4] = {'F', 'P', 'G', '1'};

void PutU32(std::string& out, size_t at, uint32_t v) {
  std::memcpy(out.data() + at, &v, 4);
}

uint32_t GetU32(std::string_view in, size_t at) {
  uint32_t v;
  std::memcpy(&v, in.data() + at, 4);
  return v;
}

}  // namespace

size_t BeginPage(std::string& s) {
  s.assign(kPageHeaderBytes, '\0');
  std::memcpy(s.data(), kMagic, 4);
  s += "{\"data\":";
  return s.size();
}

void FinishPage(std::string& s, size_t docs_at, const storage::Page& page) {
  const size_t docs_len = s.size() - docs_at;
  s += ",\"meta\":{\"count\":";
  s += std::to_string(page.count);
  s += ",\"next_cursor\":";
  size_t cursor_at = 0;
  if (page.next_cursor) {
    s.push_back('"');
    cursor_at = s.size();
    s += *page.next_cursor;  // base64url: nothing to escape
    s.push_back('"');
  } else {
    s += "null";
  }
  s += ",\"cache\":";
  PutU32(s, 4, static_cast<uint32_t>(page.count));
  PutU32(s, 8, static_cast<uint32_t>(docs_at));
  PutU32(s, 12, static_cast<uint32_t>(docs_len));
  PutU32(s, 16, page.next_cursor ? static_cast<uint32_t>(cursor_at) : kNoCursor);
  PutU32(s, 20, page.next_cursor ? static_cast<uint32_t>(page.next_cursor->size()) : 0);
}

std::shared_ptr<const std::string> EncodePage(const storage::Page& page) {
  auto out = std::make_shared<std::string>();
  out->reserve(kPageHeaderBytes + page.documents_json.size() + 128);
  const size_t docs_at = BeginPage(*out);
  *out += page.documents_json;
  FinishPage(*out, docs_at, page);
  return out;
}

bool IsWellFormedPage(std::string_view b) {
  if (b.size() < kPageHeaderBytes || std::memcmp(b.data(), kMagic, 4) != 0) return false;
  uint64_t docs_at = GetU32(b, 8), docs_len = GetU32(b, 12);
  if (docs_at < kPageHeaderBytes || docs_at + docs_len > b.size()) return false;
  uint32_t cursor_at = GetU32(b, 16);
  if (cursor_at != kNoCursor) {
    uint64_t cursor_len = GetU32(b, 20);
    if (cursor_at < kPageHeaderBytes || cursor_at + cursor_len > b.size()) return false;
  }
  return true;
}

}  // namespace detail

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kMemory:
      return "memory";
    case Tier::kKv:
      return "kv";
    case Tier::kDatabase:
      return "database";
  }
  return "database";
}

PageRef::PageRef(std::shared_ptr<const std::string> bytes, Tier tier)
    : bytes_(std::move(bytes)), tier_(tier) {}

int PageRef::count() const {
  return static_cast<int>(detail::GetU32(*bytes_, 4));
}

std::string_view PageRef::documents_json() const {
  return std::string_view(*bytes_).substr(detail::GetU32(*bytes_, 8), detail::GetU32(*bytes_, 12));
}

std::optional<std::string_view> PageRef::next_cursor() const {
  uint32_t at = detail::GetU32(*bytes_, 16);
  if (at == detail::kNoCursor) return std::nullopt;
  return std::string_view(*bytes_).substr(at, detail::GetU32(*bytes_, 20));
}

std::string_view PageRef::body_prefix() const {
  return std::string_view(*bytes_).substr(detail::kPageHeaderBytes);
}

}  // namespace folio
