// The synthetic seeder: documents for demos, tests and benchmarks (`folio seed`, `folio demo`,
// bench/). It writes through the Engine's public API only, so every write invalidates what it
// changes, as any other client's would; a program that wants a seeded database file opens an
// Engine on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "folio/base/status.h"
#include "folio/engine/engine.h"

namespace folio::tools {

struct SeedOptions {
  int64_t count = 1000;  // documents to create
  int types = 3;         // spread over this many types (1..64)
  bool publish = true;   // publish each document after creating it
  std::string tenant = "default";
  size_t body_bytes = 800;  // size of each document's "body" text (≈ data size)
  uint64_t seed = 42;       // same seed, same documents (ids aside)
  int batch_size = 500;     // writes per transaction
  // Called after each batch with the documents written so far.
  std::function<void(int64_t done)> on_progress;
};

// The type ids seed uses: "blog-post", "product", "event", … then "type-<n>".
std::vector<std::string> SeedTypeIds(int types);

// Registers the seed types (fields title, category, views, rating, featured; facet tags) and
// writes `count` documents in batches through Engine::WriteBatch. Documents written in one
// batch share a timestamp. Returns how many were written. Not atomic: an error leaves the
// batches written before it.
Result<int64_t> SeedDocuments(Engine& engine, const SeedOptions& options);

}  // namespace folio::tools
