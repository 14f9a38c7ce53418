#include "detail/value_format.h"

#include <xxhash.h>
#if defined(FOLIO_KV_HAVE_XXH3_DISPATCH)
#include <xxh_x86dispatch.h>  // runtime choice of SSE2 / AVX2 / AVX-512; the same hash values
#endif

#include <cstring>

namespace folio::kv::detail {
namespace {

template <typename T>
void Store(char* dst, size_t offset, T value) noexcept {
  std::memcpy(dst + offset, &value, sizeof(T));
}

template <typename T>
T Load(const char* src, size_t offset) noexcept {
  T value;
  std::memcpy(&value, src + offset, sizeof(T));
  return value;
}

}  // namespace

std::string_view DecodeResultName(DecodeResult result) noexcept {
  switch (result) {
    case DecodeResult::kOk:
      return "ok";
    case DecodeResult::kTooShort:
      return "value shorter than its header";
    case DecodeResult::kBadMagic:
      return "bad magic";
    case DecodeResult::kBadVersion:
      return "unknown format version";
    case DecodeResult::kLengthMismatch:
      return "payload length mismatch";
    case DecodeResult::kBadChecksum:
      return "payload checksum mismatch";
  }
  return "unknown";
}

uint64_t PayloadChecksum(std::string_view payload) noexcept {
#if defined(FOLIO_KV_HAVE_XXH3_DISPATCH)
  return XXH3_64bits_dispatch(payload.data(), payload.size());
#else
  return XXH3_64bits(payload.data(), payload.size());
#endif
}

void EncodeValue(int64_t expires_at_micros, int64_t inserted_at_micros, std::string_view payload,
                 char* dst) noexcept {
  Store<uint32_t>(dst, 0, kValueMagic);
  Store<uint16_t>(dst, 4, kValueFormatVersion);
  Store<uint16_t>(dst, 6, 0);
  Store<int64_t>(dst, 8, expires_at_micros);
  Store<int64_t>(dst, 16, inserted_at_micros);
  Store<uint64_t>(dst, 24, PayloadChecksum(payload));
  Store<uint64_t>(dst, 32, payload.size());
  if (!payload.empty()) std::memcpy(dst + kValueHeaderBytes, payload.data(), payload.size());
}

DecodeResult DecodeValue(std::string_view stored, bool verify_checksum, ValueHeader* header,
                         std::string_view* payload) noexcept {
  if (stored.size() < kValueHeaderBytes) return DecodeResult::kTooShort;
  const char* src = stored.data();
  if (Load<uint32_t>(src, 0) != kValueMagic) return DecodeResult::kBadMagic;
  if (Load<uint16_t>(src, 4) != kValueFormatVersion) return DecodeResult::kBadVersion;
  header->expires_at_micros = Load<int64_t>(src, 8);
  header->inserted_at_micros = Load<int64_t>(src, 16);
  header->checksum = Load<uint64_t>(src, 24);
  header->payload_bytes = Load<uint64_t>(src, 32);
  if (header->payload_bytes != stored.size() - kValueHeaderBytes) {
    return DecodeResult::kLengthMismatch;
  }
  *payload = stored.substr(kValueHeaderBytes);
  if (verify_checksum && PayloadChecksum(*payload) != header->checksum) {
    return DecodeResult::kBadChecksum;
  }
  return DecodeResult::kOk;
}

}  // namespace folio::kv::detail
