// Fuzzes listing cursors: the `cursor` a client sends back is the only binary format folio
// decodes from a request (storage/cursor.cc), and what it yields is bound into the keyset
// predicate of a real listing.
//
// The MAC keeps a fuzzer from reaching anything past the check, so inputs also come as a
// cursor body that this file signs with the database's secret (read from folio_meta, as an
// attacker with the file could): that reaches the tag, id-length and value decoding, and a
// listing that resumes from any position at all.
//
// Input: byte 0 picks the sort (bits 0-2), the order (bit 3), the axis (bit 4) and how the rest
// is used (bits 5-6): as cursor text, as a body after the query's hash, or as a whole body.
// Properties: refusals are InvalidArgument; a decoded position encodes and decodes to itself;
// a listing answers a valid JSON array or InvalidArgument, and its own next_cursor is accepted.
#include <xxhash.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "detail/json_text.h"
#include "detail/listing.h"
#include "detail/sqlite.h"
#include "folio/storage/document_store.h"
#include "fuzz_support.h"

namespace {

namespace storage = folio::storage;
namespace detail = folio::storage::detail;
using folio::fuzz::AsText;

constexpr const char* kSorts[] = {"updated_at", "created_at", "views", "title",
                                  "score",      "due",        "flag",  "nope"};

std::string U64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

// The MAC listing.h documents (XXH3-128 keyed by the secret, halves folded). Checked against
// EncodeCursor at start-up, so a change to the format fails loudly instead of fuzzing nothing.
std::string Sign(const std::string& secret, const std::string& body) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, secret.data(), secret.size());
  XXH3_128bits_update(state, body.data(), body.size());
  const XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return detail::Base64UrlEncode(U64(h.low64 ^ h.high64) + body);
}

uint64_t QueryHash(const std::string& query_key) {
  return XXH3_64bits(query_key.data(), query_key.size());
}

bool SamePosition(const detail::KeysetPosition& a, const detail::KeysetPosition& b) {
  if (a.id != b.id || a.sort_value.index() != b.sort_value.index()) return false;
  if (const auto* d = std::get_if<double>(&a.sort_value)) {
    const double e = std::get<double>(b.sort_value);
    return std::memcmp(d, &e, sizeof e) == 0;  // NaN and -0.0 travel bit for bit
  }
  return a.sort_value == b.sort_value;
}

struct Fixture {
  std::unique_ptr<storage::DocumentStore> store;
  std::string secret;
};

Fixture& Store() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    storage::StoreOptions options;
    options.path = (folio::fuzz::ScratchDir() / "cursor.sqlite").string();
    options.read_connections = 1;
    auto store = storage::DocumentStore::Open(options);
    FUZZ_CHECK(store.ok(), store.status().ToString());
    f->store = std::move(*store);
    storage::TypeDefinition post{"post", "", {}, {"tags"}};
    post.fields = {{"views", storage::FieldKind::kInteger},
                   {"title", storage::FieldKind::kText},
                   {"score", storage::FieldKind::kNumber},
                   {"due", storage::FieldKind::kDate},
                   {"flag", storage::FieldKind::kBoolean}};
    FUZZ_CHECK(f->store->RegisterType(post).ok(), "RegisterType");
    // Some rows lack some fields, so NULL sort values sit between the others.
    for (int i = 0; i < 12; ++i) {
      nlohmann::json data = {{"title", "post " + std::to_string(i % 5)}, {"tags", {"a", "b"}}};
      if (i % 3 != 0) data["views"] = i * 7 % 5;
      if (i % 4 != 0) data["score"] = i * 0.25 - 1;
      if (i % 2 == 0) data["due"] = 1700000000 + i;
      if (i % 5 != 0) data["flag"] = i % 2 == 0;
      auto w = f->store->Create(storage::CreateOp{"default", "post", data.dump(), {}});
      FUZZ_CHECK(w.ok(), w.status().ToString());
      if (i % 2 == 0) {
        auto p =
            f->store->Apply({"default", w->document.root_id, storage::LifecycleAction::kPublish});
        FUZZ_CHECK(p.ok(), p.status().ToString());
      }
    }
    auto conn = detail::Connection::Open(options.path, /*read_only=*/true, /*create=*/false, 1000);
    FUZZ_CHECK(conn.ok(), conn.status().ToString());
    auto stmt = (*conn)->Prepare("SELECT value FROM folio_meta WHERE key = 'cursor_secret'");
    FUZZ_CHECK(stmt.ok() && *stmt->Step(), "no cursor_secret in folio_meta");
    f->secret = std::string(stmt->ColumnText(0));
    return f;
  }();
  return *fixture;
}

// Decoding alone, with a secret and query of its own.
void DecodeAlone(const std::string& cursor) {
  static const std::string kSecret = "fuzz-secret", kKey = "fuzz-query";
  auto pos = detail::DecodeCursor(kSecret, kKey, cursor);
  if (!pos.ok()) {
    FUZZ_CHECK(pos.status().IsInvalidArgument(), pos.status().ToString());
    return;
  }
  auto again = detail::DecodeCursor(kSecret, kKey, detail::EncodeCursor(kSecret, kKey, *pos));
  FUZZ_CHECK(again.ok() && SamePosition(*pos, *again), "position does not survive re-encoding");
}

void List(storage::Query& query) {
  auto page = Store().store->List(query);
  if (!page.ok()) {
    FUZZ_CHECK(page.status().IsInvalidArgument(), page.status().ToString());
    return;
  }
  const auto rows = nlohmann::json::parse(page->documents_json, nullptr, false);
  FUZZ_CHECK(rows.is_array() && rows.size() == static_cast<size_t>(page->count),
             page->documents_json);
  if (!page->next_cursor) return;
  query.cursor = *page->next_cursor;
  auto next = Store().store->List(query);
  FUZZ_CHECK(next.ok(), "the store refused its own next_cursor: " + next.status().ToString());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string secret = "check", key = "check-key";
  const detail::KeysetPosition pos{int64_t{42}, "id-1"};
  const std::string body = U64(QueryHash(key)) + "i" + std::string("\x04\x00", 2) + "id-142";
  FUZZ_CHECK(Sign(secret, body) == detail::EncodeCursor(secret, key, pos),
             "Sign() no longer matches storage/cursor.cc: update it to the cursor format");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string rest(AsText(data + 1, size - 1));
  Fixture& f = Store();

  storage::Query query;
  query.type = "post";
  query.sort = kSorts[flags & 7];
  query.order = flags & 8 ? storage::SortOrder::kAsc : storage::SortOrder::kDesc;
  query.axis = flags & 16 ? storage::Axis::kDraft : storage::Axis::kPublished;
  query.limit = 3;
  switch ((flags >> 5) & 3) {
    case 0:
    case 3:
      query.cursor = rest;
      DecodeAlone(rest);
      break;
    case 1:
      query.cursor = Sign(f.secret, U64(QueryHash(query.CanonicalKey())) + rest);
      DecodeAlone(Sign("fuzz-secret", U64(QueryHash("fuzz-query")) + rest));
      break;
    case 2:
      query.cursor = Sign(f.secret, rest);
      DecodeAlone(Sign("fuzz-secret", rest));
      break;
  }
  List(query);
  return 0;
}
