// kv/detail/value_format.h — the bytes kv/ stores for one entry: a fixed header, then the payload.
//
//   offset size field
//        0    4 magic            "FKV1" (kValueMagic)
//        4    2 format version   kValueFormatVersion
//        6    2 flags            reserved, 0
//        8    8 expires_at       micros since the Unix epoch; 0 = never expires
//       16    8 inserted_at      micros since the Unix epoch when the entry was (re)written
//       24    8 checksum         XXH3-64 of the payload
//       32    8 payload length   bytes that follow the header
//       40    … payload
//
// Integers are in the host's byte order (an LMDB file is not portable across byte orders anyway)
// and are read with memcpy: LMDB gives no alignment guarantee for a value.
// Ordering for eviction lives beside the entry (kv_store.cc's `order` / `recency` databases), so
// refreshing an entry's recency never rewrites its payload.
#pragma once

#include <cstdint>
#include <string_view>

namespace folio::kv::detail {

inline constexpr uint32_t kValueMagic = 0x31564B46;  // "FKV1" little-endian
inline constexpr uint16_t kValueFormatVersion = 1;
inline constexpr size_t kValueHeaderBytes = 40;

struct ValueHeader {
  int64_t expires_at_micros = 0;  // 0 = never
  int64_t inserted_at_micros = 0;
  uint64_t checksum = 0;
  uint64_t payload_bytes = 0;
};

enum class DecodeResult {
  kOk,
  kTooShort,        // fewer bytes than a header
  kBadMagic,        // not written by kv/ (or overwritten)
  kBadVersion,      // a format this build does not read
  kLengthMismatch,  // header's payload length disagrees with the stored size
  kBadChecksum,     // payload bytes changed since they were written
};

std::string_view DecodeResultName(DecodeResult result) noexcept;

uint64_t PayloadChecksum(std::string_view payload) noexcept;

// Writes the header for `payload` into dst[0, kValueHeaderBytes) and the payload after it.
// REQUIRES: dst has room for kValueHeaderBytes + payload.size() bytes.
void EncodeValue(int64_t expires_at_micros, int64_t inserted_at_micros, std::string_view payload,
                 char* dst) noexcept;

// Parses and verifies a stored value. On kOk, *payload views the payload inside `stored`
// (same lifetime as `stored`). With verify_checksum false the checksum is not recomputed.
DecodeResult DecodeValue(std::string_view stored, bool verify_checksum, ValueHeader* header,
                         std::string_view* payload) noexcept;

}  // namespace folio::kv::detail
