#include "detail/uuid.h"

#include <pthread.h>

#include <array>
#include <atomic>
#include <mutex>
#include <random>

namespace folio::storage::detail {
namespace {

// Moves in every child of fork(). A forked child starts with a copy of its parent's
// generators, so without a reseed parent and child would draw the same ids: two processes
// creating "new" documents under one root id (found by the differential test's forked second
// process, as a UNIQUE constraint failure).
std::atomic<uint64_t> fork_generation{0};

void OnForkInChild() {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
}

std::mt19937_64 SeededGenerator() {
  std::random_device rd;
  std::seed_seq seq{rd(), rd(), rd(), rd()};
  return std::mt19937_64(seq);
}

}  // namespace

std::string NewUuidV7(int64_t unix_millis) {
  static std::once_flag at_fork;
  std::call_once(at_fork, [] { pthread_atfork(nullptr, nullptr, &OnForkInChild); });
  thread_local std::mt19937_64 rng = SeededGenerator();
  thread_local uint64_t seeded_in = fork_generation.load(std::memory_order_relaxed);
  const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (seeded_in != generation) {
    rng = SeededGenerator();
    seeded_in = generation;
  }
  std::array<uint8_t, 16> b;
  auto ms = static_cast<uint64_t>(unix_millis);
  for (int i = 0; i < 6; ++i)
    b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  uint64_t r1 = rng(), r2 = rng();
  for (int i = 0; i < 2; ++i)
    b[6 + i] = static_cast<uint8_t>(r1 >> (8 * i));
  for (int i = 0; i < 8; ++i)
    b[8 + i] = static_cast<uint8_t>(r2 >> (8 * i));
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

}  // namespace folio::storage::detail
