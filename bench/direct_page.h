// The direct page: one keyset page of `q` straight from the DocumentStore, the baseline every
// tier is compared with. Shared by engine_bench and mix_bench so both measure the same loop.
#pragma once

#include <benchmark/benchmark.h>

#include "folio/storage/document_store.h"

namespace folio::bench {

// Lists `q` once per iteration; fails the benchmark unless every page has `expected_count`
// documents. Records the page's JSON size as the "page_bytes" counter.
inline void RunDirectPage(benchmark::State& state, folio::storage::DocumentStore& store,
                          const folio::storage::Query& q, int expected_count, const char* label) {
  size_t bytes = 0;
  for (auto _ : state) {
    auto page = store.List(q);
    if (!page.ok() || page->count != expected_count) {
      state.SkipWithError("direct page failed or short");
      break;
    }
    bytes = page->documents_json.size();
    benchmark::DoNotOptimize(page);
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
  state.SetLabel(label);
}

}  // namespace folio::bench
