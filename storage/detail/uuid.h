// UUID v7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Sortable by creation time.
#pragma once

#include <cstdint>
#include <string>

namespace folio::storage::detail {

// "0190a5f2-…" lower-case, 36 characters. Thread-safe, and fork-safe: a forked child draws
// ids of its own, not its parent's next ones.
std::string NewUuidV7(int64_t unix_millis);

}  // namespace folio::storage::detail
