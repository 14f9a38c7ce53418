#include "detail/query_key.h"

#include <algorithm>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstring>
#include <type_traits>

namespace folio::detail {
namespace {

// Serializes typed, length-prefixed fields into a buffer on the stack and hashes it with one
// XXH3-128 call (much cheaper than streaming many small updates); a key too long for the
// buffer spills into a streaming state.
class KeyHasher {
 public:
  explicit KeyHasher(char domain) { Byte(domain); }
  void Bytes(const void* p, size_t n) {
    if (used_ + n > buffer_.size()) Spill();
    if (n > buffer_.size()) {
      XXH3_128bits_update(&state_, p, n);
      return;
    }
    std::memcpy(buffer_.data() + used_, p, n);
    used_ += n;
  }
  void Byte(char c) { Bytes(&c, 1); }
  void U64(uint64_t v) { Bytes(&v, sizeof v); }
  void Str(std::string_view s) {
    U64(s.size());
    Bytes(s.data(), s.size());
  }
  void Principal(const storage::Principal& p) {
    Byte(p.user_id ? 'u' : '-');
    if (p.user_id) Str(*p.user_id);
    U64(p.roles.size());
    for (const auto& r : p.roles)
      Str(r);
    U64(p.groups.size());
    for (const auto& g : p.groups)
      Str(g);
  }
  CacheKey Finish(uint64_t generation) {
    XXH128_hash_t h;
    if (spilled_) {
      XXH3_128bits_update(&state_, buffer_.data(), used_);
      h = XXH3_128bits_digest(&state_);
    } else {
      h = XXH3_128bits(buffer_.data(), used_);
    }
    CacheKey key;
    std::memcpy(key.data(), &h.low64, 8);
    std::memcpy(key.data() + 8, &h.high64, 8);
    std::memcpy(key.data() + 16, &generation, 8);
    return key;
  }

 private:
  void Spill() {
    if (!spilled_) {
      XXH3_128bits_reset(&state_);
      spilled_ = true;
    }
    XXH3_128bits_update(&state_, buffer_.data(), used_);
    used_ = 0;
  }

  std::array<char, 512> buffer_;
  size_t used_ = 0;
  bool spilled_ = false;
  XXH3_state_t state_;
};

}  // namespace

namespace {

// Everything that selects a listing's rows: what PageKey and PredicateKey share.
void HashQueryShape(KeyHasher& h, std::string_view instance_id, const storage::Query& q) {
  h.Str(instance_id);
  h.Str(q.tenant);
  h.Str(q.type);
  h.Str(q.locale);
  h.Byte(q.axis == storage::Axis::kPublished ? 'p' : 'd');
  h.U64(q.filters.size());
  for (const auto& f : q.filters) {
    h.Str(f.field);
    h.Byte(static_cast<char>(f.op));
    h.U64(f.values.size());
    for (const auto& v : f.values) {
      h.Byte(static_cast<char>(v.index()));
      std::visit(
          [&h](const auto& x) {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
              h.Str(x);
            } else {
              h.Bytes(&x, sizeof x);
            }
          },
          v);
    }
  }
  h.U64(q.facets.size());
  for (const auto& f : q.facets) {
    h.Str(f.field);
    h.Str(f.value);
  }
  for (const auto* column : {&q.slug, &q.parent, &q.root}) {
    h.Byte(column->has_value() ? 1 : 0);
    if (*column) h.Str(**column);
  }
  // The page's bytes follow the include list's order-free set (CompileQuery sorts it).
  std::vector<std::string_view> include(q.include.begin(), q.include.end());
  std::sort(include.begin(), include.end());
  include.erase(std::unique(include.begin(), include.end()), include.end());
  h.U64(include.size());
  for (std::string_view name : include)
    h.Str(name);
  h.Str(q.sort);
  h.Byte(q.order == storage::SortOrder::kDesc ? 'd' : 'a');
  h.Principal(q.principal);
}

}  // namespace

CacheKey PageKey(std::string_view instance_id, const storage::Query& q, uint64_t generation) {
  // The domain names the page format (FPG4): pages of an older format left in an L2 are never
  // looked up.
  KeyHasher h('4');
  HashQueryShape(h, instance_id, q);
  h.U64(static_cast<uint64_t>(q.limit));
  h.Str(q.cursor);
  return h.Finish(generation);
}

CacheKey PredicateKey(std::string_view instance_id, const storage::Query& q) {
  KeyHasher h('Q');
  HashQueryShape(h, instance_id, q);
  return h.Finish(0);
}

uint64_t RootHash(std::string_view root_id) {
  return XXH3_64bits(root_id.data(), root_id.size());
}

CacheKey DocumentKey(std::string_view instance_id, std::string_view tenant,
                     std::string_view root_id, storage::Axis axis,
                     const storage::Principal& principal, uint64_t generation) {
  KeyHasher h('D');
  h.Str(instance_id);
  h.Str(tenant);
  h.Str(root_id);
  h.Byte(axis == storage::Axis::kPublished ? 'p' : 'd');
  h.Principal(principal);
  return h.Finish(generation);
}

}  // namespace folio::detail
