// Helpers shared by the kv/ tests: a scratch directory and deterministic values.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace folio::kv::testing {

// A fresh directory, removed with its contents on destruction. Under /dev/shm when it exists:
// every commit fsyncs, and the tests are about behaviour, not the disk.
class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    if (const char* tmp = std::getenv("FOLIO_KV_TEST_TMP")) base = tmp;
    std::string pattern = base + "/folio-kv-test-XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// `size` bytes that depend on `seed` at every position, so a value returned for the wrong key or
// a torn value does not compare equal.
inline std::string MakeValue(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
  return out;
}

inline std::string Key(int i) {
  return "page/" + std::to_string(i);
}

}  // namespace folio::kv::testing
