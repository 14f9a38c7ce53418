// A heap for SQLite's own allocations in fuzz targets that open whole databases per input.
//
// Why: Debian's SQLite is built without lookaside, so parsing folio's schema is thousands of
// small mallocs, and under ASan each one pays for the quarantine, a stack trace and a fill.
// perf put that allocator work at about a third of fuzz_foreign_type_db's time. SQLite is not
// instrumented, so ASan's bookkeeping of its heap catches little; what matters is folio's code
// reading SQLite's buffers, and this heap keeps that checked: every block is poisoned past the
// bytes asked for (and while free), so an overread of a column's text still stops the run.
// Freed blocks are reused oldest first, which keeps a use after free visible for a while.
//
// InstallSqliteHeap() must run before SQLite is first used (LLVMFuzzerInitialize).
#pragma once

#include <sanitizer/asan_interface.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "fuzz_support.h"

namespace folio::fuzz {
namespace detail {

// Not instrumented for coverage: its branches are the heap's, not folio's, and would only add
// features for libFuzzer to weigh on every input.
#define FOLIO_FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))

class SqliteHeap {
 public:
  FOLIO_FUZZ_NO_COVERAGE static void* Malloc(int n) {
    return Instance().Allocate(static_cast<size_t>(n));
  }
  FOLIO_FUZZ_NO_COVERAGE static void Free(void* p) { Instance().Release(p); }
  FOLIO_FUZZ_NO_COVERAGE static void* Realloc(void* p, int n) {
    if (p == nullptr) return Malloc(n);
    void* fresh = Malloc(n);
    if (fresh == nullptr) return nullptr;
    const size_t old_size = HeaderOf(p)->size;
    std::memcpy(fresh, p, std::min(old_size, static_cast<size_t>(n)));
    Free(p);
    return fresh;
  }
  FOLIO_FUZZ_NO_COVERAGE static int Size(void* p) {
    return p == nullptr ? 0 : static_cast<int>(HeaderOf(p)->size);
  }
  // SQLite asks for the rounded size: not rounding keeps the poison on the very next byte.
  FOLIO_FUZZ_NO_COVERAGE static int Roundup(int n) { return n; }
  static int Init(void*) { return SQLITE_OK; }
  static void Shutdown(void*) {}

 private:
  // Blocks of class c hold up to 32 << c bytes; anything larger goes to malloc itself.
  static constexpr int kClasses = 13;  // 32 B .. 128 KiB
  static constexpr size_t kRedzone = 32;
  static constexpr uint32_t kLarge = 0xffffffff;

  // Sits unpoisoned before each payload: SQLite never writes below its pointers.
  struct alignas(16) Header {
    Header* next_free;
    size_t size;
    uint32_t size_class;
  };

  static SqliteHeap& Instance() {
    static SqliteHeap* heap = new SqliteHeap();  // outlives every connection
    return *heap;
  }
  static Header* HeaderOf(void* p) { return static_cast<Header*>(p) - 1; }
  static size_t Capacity(uint32_t size_class) { return size_t{32} << size_class; }

  FOLIO_FUZZ_NO_COVERAGE void* Allocate(size_t n) {
    const auto size_class_wanted =
        static_cast<uint32_t>(std::bit_width((std::max<size_t>(n, 1) - 1) >> 5));
    uint32_t size_class = std::min<uint32_t>(size_class_wanted, kClasses);
    Header* header = nullptr;
    if (size_class == kClasses) {
      header = static_cast<Header*>(std::malloc(sizeof(Header) + n));
      if (header == nullptr) return nullptr;
      size_class = kLarge;
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      FreeList& list = free_[size_class];
      header = list.head;
      if (header != nullptr) {
        list.head = header->next_free;
        if (list.head == nullptr) list.tail = nullptr;
      }
    }
    if (header == nullptr) {
      // A fresh block, poisoned whole; what is asked for is unpoisoned below.
      header = static_cast<Header*>(std::malloc(sizeof(Header) + Capacity(size_class) + kRedzone));
      if (header == nullptr) return nullptr;
      ASAN_POISON_MEMORY_REGION(header + 1, Capacity(size_class) + kRedzone);
    }
    header->next_free = nullptr;
    header->size = n;
    header->size_class = size_class;
    ASAN_UNPOISON_MEMORY_REGION(header + 1, n);
    return header + 1;
  }

  FOLIO_FUZZ_NO_COVERAGE void Release(void* p) {
    if (p == nullptr) return;
    Header* header = HeaderOf(p);
    if (header->size_class == kLarge) {
      std::free(header);
      return;
    }
    ASAN_POISON_MEMORY_REGION(p, header->size);
    std::lock_guard<std::mutex> lock(mu_);
    FreeList& list = free_[header->size_class];
    // Oldest first: a freed block waits behind every block freed before it.
    if (list.tail != nullptr) {
      list.tail->next_free = header;
    } else {
      list.head = header;
    }
    list.tail = header;
  }

  struct FreeList {
    Header* head = nullptr;
    Header* tail = nullptr;
  };
  std::mutex mu_;
  std::array<FreeList, kClasses> free_{};
};

}  // namespace detail

inline void InstallSqliteHeap() {
  static const sqlite3_mem_methods methods = {
      &detail::SqliteHeap::Malloc,   &detail::SqliteHeap::Free,
      &detail::SqliteHeap::Realloc,  &detail::SqliteHeap::Size,
      &detail::SqliteHeap::Roundup,  &detail::SqliteHeap::Init,
      &detail::SqliteHeap::Shutdown, nullptr};
  FUZZ_CHECK(sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK,
             "sqlite3_config(SQLITE_CONFIG_MALLOC) must run before SQLite is used");
  // The heap is only worth having if ASan still sees past the end and after the free: checked
  // at every start, so a fuzz run never goes on with a heap that hides overreads.
  auto* bytes = static_cast<char*>(sqlite3_malloc(13));
  FUZZ_CHECK(bytes != nullptr && sqlite3_msize(bytes) == 13, "SqliteHeap: sqlite3_malloc(13)");
  FUZZ_CHECK(!__asan_region_is_poisoned(bytes, 13), "SqliteHeap: the block is poisoned");
  FUZZ_CHECK(__asan_address_is_poisoned(bytes + 13), "SqliteHeap: byte 13 is not poisoned");
  bytes = static_cast<char*>(sqlite3_realloc(bytes, 200));
  FUZZ_CHECK(bytes != nullptr && __asan_address_is_poisoned(bytes + 200) &&
                 !__asan_region_is_poisoned(bytes, 200),
             "SqliteHeap: sqlite3_realloc(200)");
  sqlite3_free(bytes);
  FUZZ_CHECK(__asan_address_is_poisoned(bytes), "SqliteHeap: a freed block is not poisoned");
}

}  // namespace folio::fuzz
