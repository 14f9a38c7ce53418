// Keyset cursors: encoding, verification, decoding.
#include <xxhash.h>

#include <charconv>
#include <cstring>

#include "detail/json_text.h"
#include "detail/listing.h"

namespace folio::storage::detail {
namespace {

constexpr size_t kMacBytes = 8;
constexpr size_t kQueryHashBytes = 8;
constexpr size_t kHeaderBytes = kMacBytes + kQueryHashBytes + 3;  // + tag + id length

void AppendU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t ReadU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

uint64_t Mac(const std::string& secret, std::string_view body) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, secret.data(), secret.size());
  XXH3_128bits_update(state, body.data(), body.size());
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return h.low64 ^ h.high64;
}

}  // namespace

std::string EncodeCursor(const std::string& secret, const std::string& query_key,
                         const KeysetPosition& position) {
  std::string body;
  AppendU64(body, XXH3_64bits(query_key.data(), query_key.size()));
  char tag = 'n';
  std::string value;
  if (const auto* i = std::get_if<int64_t>(&position.sort_value)) {
    tag = 'i';
    char buf[24];
    value.assign(buf, std::to_chars(buf, buf + sizeof buf, *i).ptr);
  } else if (const auto* d = std::get_if<double>(&position.sort_value)) {
    tag = 'r';
    uint64_t bits;
    std::memcpy(&bits, d, sizeof bits);
    AppendU64(value, bits);
  } else if (const auto* t = std::get_if<std::string>(&position.sort_value)) {
    tag = 't';
    value = *t;
  }
  body.push_back(tag);
  body.push_back(static_cast<char>(position.id.size() & 0xff));
  body.push_back(static_cast<char>((position.id.size() >> 8) & 0xff));
  body += position.id;
  body += value;
  std::string raw;
  AppendU64(raw, Mac(secret, body));
  raw += body;
  return Base64UrlEncode(raw);
}

Result<KeysetPosition> DecodeCursor(const std::string& secret, const std::string& query_key,
                                    std::string_view cursor) {
  auto raw = Base64UrlDecode(cursor);
  if (!raw) return Status::InvalidArgument("cursor is malformed: not base64url text");
  if (raw->size() < kHeaderBytes) return Status::InvalidArgument("cursor is truncated");
  std::string_view bytes(*raw);
  std::string_view body = bytes.substr(kMacBytes);
  if (ReadU64(bytes) != Mac(secret, body)) {
    return Status::InvalidArgument(
        "cursor does not verify: it was altered, truncated, or made by another database");
  }
  if (ReadU64(body) != XXH3_64bits(query_key.data(), query_key.size())) {
    return Status::InvalidArgument(
        "cursor belongs to another query: pass it only with the query whose page returned it");
  }
  char tag = body[kQueryHashBytes];
  size_t id_len = static_cast<unsigned char>(body[kQueryHashBytes + 1]) |
                  (static_cast<size_t>(static_cast<unsigned char>(body[kQueryHashBytes + 2])) << 8);
  std::string_view rest = body.substr(kQueryHashBytes + 3);
  if (rest.size() < id_len) return Status::InvalidArgument("cursor is truncated");
  KeysetPosition pos;
  pos.id = std::string(rest.substr(0, id_len));
  std::string_view value = rest.substr(id_len);
  switch (tag) {
    case 'n':
      break;
    case 'i': {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size()) {
        return Status::InvalidArgument("cursor is malformed: bad integer sort value");
      }
      pos.sort_value = v;
      break;
    }
    case 'r': {
      if (value.size() != 8) return Status::InvalidArgument("cursor is malformed: bad real");
      uint64_t bits = ReadU64(value);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      pos.sort_value = d;
      break;
    }
    case 't':
      pos.sort_value = std::string(value);
      break;
    default:
      return Status::InvalidArgument("cursor is malformed: unknown value tag");
  }
  return pos;
}

}  // namespace folio::storage::detail
