// kv_bench: the cost of an L2 hit (folio::kv::KvStore) read in place (zero-copy visitor) next to
// the same Get copying the bytes out into a std::string, in the same run, 1 thread.
//
// Setup: kKeys keys of ~40 bytes, each with a ~24 KB value, preloaded into a fresh environment in
// a temporary directory (under /dev/shm when it exists, so the preload's fsyncs are cheap; reads
// come from the page cache either way). Every lookup is a hit; keys are visited in a precomputed
// random order. Variants:
//   ZeroCopy        Get() whose visitor touches the first and last byte (checksum verified)
//   CopyOut         GetCopy(): the same Get, copying into a new std::string
//   CopyIntoReused  Get() whose visitor assigns into one reused std::string (memcpy, no malloc)
//   ZeroCopyNoVerify ZeroCopy with KvOptions::verify_checksums = false (what XXH3 costs: it reads
//                   all 24 KB, the zero-copy read touches two cache lines)
//   CopyOutNoVerify  CopyOut with verify_checksums = false
// At the end, each variant's time per op is printed as a ratio of ZeroCopy.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "folio/kv/kv_store.h"

namespace {

using folio::kv::KvOptions;
using folio::kv::KvStore;

constexpr size_t kKeys = 1000;
constexpr size_t kValueBytes = 24 * 1024;

std::string MakeDir() {
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string pattern = base + "/folio-kv-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

// One preloaded environment per checksum setting, removed at exit.
class Fixture {
 public:
  explicit Fixture(bool verify_checksums) : dir_(MakeDir()) {
    KvOptions options;
    options.dir = dir_;
    options.map_size_bytes = size_t{256} << 20;
    options.verify_checksums = verify_checksums;
    auto opened = KvStore::Open(options);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      std::abort();
    }
    store_ = std::move(opened).value();
    std::mt19937_64 rng(42);
    std::string value(kValueBytes, '\0');
    for (size_t i = 0; i < kKeys; ++i) {
      keys_.push_back("tenant/1/type/article/page/" + std::to_string(i) + "/gen/17");
      for (char& c : value)
        c = static_cast<char>(rng());
      if (!store_->Put(keys_.back(), value).ok()) std::abort();
    }
    order_.resize(1 << 16);
    for (size_t& i : order_)
      i = rng() % kKeys;
  }
  ~Fixture() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const KvStore& store() const { return *store_; }
  std::string_view key(size_t n) const { return keys_[order_[n & (order_.size() - 1)]]; }

 private:
  std::string dir_;
  std::unique_ptr<KvStore> store_;
  std::vector<std::string> keys_;
  std::vector<size_t> order_;
};

Fixture& Verified() {
  static Fixture fixture(true);
  return fixture;
}
Fixture& Unverified() {
  static Fixture fixture(false);
  return fixture;
}

void ZeroCopyLoop(benchmark::State& state, const Fixture& fixture) {
  size_t n = 0;
  for (auto _ : state) {
    unsigned touched = 0;
    folio::Status status = fixture.store().Get(fixture.key(n++), [&](std::string_view value) {
      touched =
          static_cast<unsigned char>(value.front()) + static_cast<unsigned char>(value.back());
    });
    if (!status.ok()) state.SkipWithError("miss");
    benchmark::DoNotOptimize(touched);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_L2Hit_ZeroCopy(benchmark::State& state) {
  ZeroCopyLoop(state, Verified());
}

void CopyOutLoop(benchmark::State& state, const Fixture& fixture) {
  size_t n = 0;
  for (auto _ : state) {
    folio::Result<std::string> copy = fixture.store().GetCopy(fixture.key(n++));
    if (!copy.ok()) state.SkipWithError("miss");
    benchmark::DoNotOptimize(copy->data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_L2Hit_CopyOut(benchmark::State& state) {
  CopyOutLoop(state, Verified());
}

void BM_L2Hit_CopyIntoReused(benchmark::State& state) {
  const Fixture& fixture = Verified();
  std::string buffer;
  buffer.reserve(kValueBytes);
  size_t n = 0;
  for (auto _ : state) {
    folio::Status status = fixture.store().Get(
        fixture.key(n++), [&](std::string_view value) { buffer.assign(value); });
    if (!status.ok()) state.SkipWithError("miss");
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_L2Hit_ZeroCopyNoVerify(benchmark::State& state) {
  ZeroCopyLoop(state, Unverified());
}

void BM_L2Hit_CopyOutNoVerify(benchmark::State& state) {
  CopyOutLoop(state, Unverified());
}

BENCHMARK(BM_L2Hit_ZeroCopy);
BENCHMARK(BM_L2Hit_CopyOut);
BENCHMARK(BM_L2Hit_CopyIntoReused);
BENCHMARK(BM_L2Hit_ZeroCopyNoVerify);
BENCHMARK(BM_L2Hit_CopyOutNoVerify);

// Prints the usual console table, then each variant's time per op as a ratio of ZeroCopy.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      ns_per_op_[run.benchmark_name()] = run.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() const {
    auto base = ns_per_op_.find("BM_L2Hit_ZeroCopy");
    if (base == ns_per_op_.end() || base->second <= 0) return;
    std::printf("\nns/op relative to BM_L2Hit_ZeroCopy (%.0f ns/op):\n", base->second);
    for (const auto& [name, ns] : ns_per_op_) {
      std::printf("  %-28s %10.0f ns/op  %5.2fx\n", name.c_str(), ns, ns / base->second);
    }
  }

 private:
  std::map<std::string, double> ns_per_op_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
