#include "detail/page_codec.h"

#include <cstring>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "detail/query_key.h"
#include "folio/engine/page.h"

namespace folio {
namespace detail {
namespace {

constexpr char kPageMagic[4] = {'F', 'P', 'G', '4'};
constexpr size_t kContentTagAt = 28;
constexpr char kDocumentMagic[4] = {'F', 'D', 'C', '3'};

void PutU32(std::string& out, size_t at, uint32_t v) {
  std::memcpy(out.data() + at, &v, 4);
}

uint32_t GetU32(std::string_view in, size_t at) {
  uint32_t v;
  std::memcpy(&v, in.data() + at, 4);
  return v;
}

// XXH3-128 of `bytes` as 32 lower-case hex digits at `out`.
void WriteContentTag(std::string_view bytes, char* out) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint64_t word : {h.high64, h.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4)
      *out++ = kHex[(word >> shift) & 0xf];
  }
}

// The body's tag, written into the header: a strong validator of the body, computed once per
// fill. A tag a damaged L2 value could carry is refused by IsWellFormedPage before it can
// reach an HTTP header.
void PutContentTag(std::string& page) {
  const uint32_t body_end = GetU32(page, 24);
  WriteContentTag(std::string_view(page).substr(kPageHeaderBytes, body_end - kPageHeaderBytes),
                  page.data() + kContentTagAt);
}

bool IsContentTag(std::string_view tag) {
  for (char c : tag) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

template <typename T>
void Append(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void AppendString(std::string& out, std::string_view s) {
  Append<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

enum ValueTag : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3 };

void AppendPosition(std::string& out, const storage::SortPosition& p) {
  if (const auto* i = std::get_if<int64_t>(&p.sort_value)) {
    Append<uint8_t>(out, kInteger);
    Append<int64_t>(out, *i);
  } else if (const auto* d = std::get_if<double>(&p.sort_value)) {
    Append<uint8_t>(out, kReal);
    Append<double>(out, *d);
  } else if (const auto* s = std::get_if<std::string>(&p.sort_value)) {
    Append<uint8_t>(out, kText);
    AppendString(out, *s);
  } else {
    Append<uint8_t>(out, kNull);
  }
  AppendString(out, p.id);
}

// Reads what Append* wrote, refusing to step past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() - at_ < sizeof(T)) return false;
    std::memcpy(v, in_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  bool GetString(std::string* s) {
    uint32_t n;
    if (!Get(&n) || in_.size() - at_ < n) return false;
    s->assign(in_.data() + at_, n);
    at_ += n;
    return true;
  }
  bool GetPosition(storage::SortPosition* p) {
    uint8_t tag;
    if (!Get(&tag)) return false;
    switch (tag) {
      case kNull:
        p->sort_value = std::monostate{};
        break;
      case kInteger: {
        int64_t i;
        if (!Get(&i)) return false;
        p->sort_value = i;
        break;
      }
      case kReal: {
        double d;
        if (!Get(&d)) return false;
        p->sort_value = d;
        break;
      }
      case kText: {
        std::string s;
        if (!GetString(&s)) return false;
        p->sort_value = std::move(s);
        break;
      }
      default:
        return false;
    }
    return GetString(&p->id);
  }
  // Steps over what GetString / GetPosition would read, allocating nothing.
  bool SkipString() {
    uint32_t n;
    if (!Get(&n) || in_.size() - at_ < n) return false;
    at_ += n;
    return true;
  }
  bool SkipPosition() {
    uint8_t tag;
    if (!Get(&tag)) return false;
    bool ok = true;
    switch (tag) {
      case kNull:
        break;
      case kInteger:
      case kReal:
        ok = in_.size() - at_ >= 8;
        at_ += ok ? 8 : 0;
        break;
      case kText:
        ok = SkipString();
        break;
      default:
        return false;
    }
    return ok && SkipString();
  }
  size_t remaining() const { return in_.size() - at_; }

 private:
  std::string_view in_;
  size_t at_ = 0;
};

constexpr uint8_t kHasAfter = 1, kHasThrough = 2;

}  // namespace

PageTrailer TrailerFor(const storage::PageDependency& dependency) {
  PageTrailer trailer;
  trailer.read_at = dependency.read_at();
  trailer.after = dependency.after();
  trailer.through = dependency.through();
  trailer.root_hashes.reserve(dependency.roots().size());
  trailer.root_hashes.reserve(dependency.roots().size() + dependency.embedded_roots().size());
  for (const auto& root : dependency.roots())
    trailer.root_hashes.push_back(RootHash(root));
  // An embedded document's change touches the page as one of its rows does.
  for (const auto& root : dependency.embedded_roots())
    trailer.root_hashes.push_back(RootHash(root));
  return trailer;
}

size_t BeginPage(std::string& s) {
  s.assign(kPageHeaderBytes, '\0');
  std::memcpy(s.data(), kPageMagic, 4);
  s += "{\"data\":";
  return s.size();
}

void FinishPage(std::string& s, size_t docs_at, const storage::Page& page,
                const PageTrailer& trailer) {
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
  s += "}}";
  PutU32(s, 4, static_cast<uint32_t>(page.count));
  PutU32(s, 8, static_cast<uint32_t>(docs_at));
  PutU32(s, 12, static_cast<uint32_t>(docs_len));
  PutU32(s, 16, page.next_cursor ? static_cast<uint32_t>(cursor_at) : kNoCursor);
  PutU32(s, 20, page.next_cursor ? static_cast<uint32_t>(page.next_cursor->size()) : 0);
  PutU32(s, 24, static_cast<uint32_t>(s.size()));
  PutContentTag(s);

  Append<int64_t>(s, trailer.read_at.seq);
  Append<int64_t>(s, trailer.read_at.salt);
  Append<uint8_t>(s, static_cast<uint8_t>((trailer.after ? kHasAfter : 0) |
                                          (trailer.through ? kHasThrough : 0)));
  if (trailer.after) AppendPosition(s, *trailer.after);
  if (trailer.through) AppendPosition(s, *trailer.through);
  Append<uint32_t>(s, static_cast<uint32_t>(trailer.root_hashes.size()));
  s.append(reinterpret_cast<const char*>(trailer.root_hashes.data()),
           trailer.root_hashes.size() * sizeof(uint64_t));
}

std::shared_ptr<const std::string> EncodePage(const storage::Page& page,
                                              const PageTrailer& trailer) {
  auto out = std::make_shared<std::string>();
  out->reserve(kPageHeaderBytes + page.documents_json.size() + 256);
  const size_t docs_at = BeginPage(*out);
  *out += page.documents_json;
  FinishPage(*out, docs_at, page, trailer);
  return out;
}

bool IsWellFormedPage(std::string_view b) {
  if (b.size() < kPageHeaderBytes || std::memcmp(b.data(), kPageMagic, 4) != 0) return false;
  const uint64_t body_end = GetU32(b, 24);
  if (body_end < kPageHeaderBytes || body_end > b.size()) return false;
  if (!IsContentTag(b.substr(kContentTagAt, kContentTagBytes))) return false;
  const uint64_t docs_at = GetU32(b, 8), docs_len = GetU32(b, 12);
  if (docs_at < kPageHeaderBytes || docs_at + docs_len > body_end) return false;
  const uint32_t cursor_at = GetU32(b, 16);
  if (cursor_at != kNoCursor) {
    const uint64_t cursor_len = GetU32(b, 20);
    if (cursor_at < kPageHeaderBytes || cursor_at + cursor_len > body_end) return false;
  }
  // The trailer's structure, checked without decoding it (this runs on every L2 hit).
  Reader r(b.substr(body_end));
  int64_t seq, salt;
  uint8_t flags;
  if (!r.Get(&seq) || !r.Get(&salt) || !r.Get(&flags)) return false;
  if ((flags & ~(kHasAfter | kHasThrough)) != 0) return false;
  if ((flags & kHasAfter) && !r.SkipPosition()) return false;
  if ((flags & kHasThrough) && !r.SkipPosition()) return false;
  uint32_t roots;
  return r.Get(&roots) && r.remaining() == uint64_t{roots} * sizeof(uint64_t);
}

bool DecodeTrailer(std::string_view page, PageTrailer* out) {
  if (page.size() < kPageHeaderBytes) return false;
  const uint32_t body_end = GetU32(page, 24);
  if (body_end > page.size()) return false;
  Reader r(page.substr(body_end));
  uint8_t flags;
  if (!r.Get(&out->read_at.seq) || !r.Get(&out->read_at.salt) || !r.Get(&flags)) return false;
  if ((flags & ~(kHasAfter | kHasThrough)) != 0) return false;
  out->after.reset();
  out->through.reset();
  if (flags & kHasAfter) {
    if (!r.GetPosition(&out->after.emplace())) return false;
  }
  if (flags & kHasThrough) {
    if (!r.GetPosition(&out->through.emplace())) return false;
  }
  uint32_t roots;
  if (!r.Get(&roots) || r.remaining() != uint64_t{roots} * sizeof(uint64_t)) return false;
  out->root_hashes.resize(roots);
  for (auto& h : out->root_hashes)
    r.Get(&h);
  return true;
}

storage::LogPosition PageReadAt(std::string_view page) {
  storage::LogPosition at;
  const uint32_t body_end = GetU32(page, 24);
  std::memcpy(&at.seq, page.data() + body_end, 8);
  std::memcpy(&at.salt, page.data() + body_end + 8, 8);
  return at;
}

int64_t DocumentValidUntilMicros(std::string_view document) {
  int64_t until;
  std::memcpy(&until, document.data() + 24, 8);
  return until;
}

std::shared_ptr<const std::string> EncodeDocument(std::string_view json,
                                                  storage::LogPosition read_at,
                                                  int64_t valid_until_micros) {
  auto out = std::make_shared<std::string>();
  out->reserve(kDocumentHeaderBytes + json.size());
  out->append(kDocumentMagic, 4);
  Append<uint32_t>(*out, static_cast<uint32_t>(json.size()));
  Append<int64_t>(*out, read_at.seq);
  Append<int64_t>(*out, read_at.salt);
  Append<int64_t>(*out, valid_until_micros);
  out->append(json);
  return out;
}

bool IsWellFormedDocument(std::string_view b) {
  return b.size() >= kDocumentHeaderBytes && std::memcmp(b.data(), kDocumentMagic, 4) == 0 &&
         GetU32(b, 4) == b.size() - kDocumentHeaderBytes;
}

storage::LogPosition DocumentReadAt(std::string_view document) {
  storage::LogPosition at;
  std::memcpy(&at.seq, document.data() + 8, 8);
  std::memcpy(&at.salt, document.data() + 16, 8);
  return at;
}

}  // namespace detail

std::string ContentTagOf(std::string_view bytes) {
  std::string tag(detail::kContentTagBytes, '\0');
  detail::WriteContentTag(bytes, tag.data());
  return tag;
}

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

std::string_view PageRef::body() const {
  const uint32_t end = detail::GetU32(*bytes_, 24);
  return std::string_view(*bytes_).substr(detail::kPageHeaderBytes, end - detail::kPageHeaderBytes);
}

std::string_view PageRef::content_tag() const {
  return std::string_view(*bytes_).substr(detail::kContentTagAt, detail::kContentTagBytes);
}

std::string_view DocumentRef::json() const {
  if (length_ != 0) return std::string_view(*bytes_).substr(offset_, length_);
  return std::string_view(*bytes_).substr(detail::kDocumentHeaderBytes);
}

}  // namespace folio
