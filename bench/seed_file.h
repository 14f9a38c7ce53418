// The database files the benches share ($TMPDIR/folio_bench_*.sqlite) are seeded through an
// Engine, as every writer of the synthetic seeder is; the benches then read them as they like
// (their direct baselines with a DocumentStore of their own).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "folio/engine/engine.h"
#include "folio/tools/seed.h"

namespace folio::bench {

// Writes `options`' documents into the SQLite file `db_path` (created when missing) through an
// Engine without cache tiers, whose data dir (<db_path>.seeding) is removed afterwards. The
// Engine is closed, and so the file, when this returns.
inline Result<int64_t> SeedFile(const std::string& db_path, const tools::SeedOptions& options) {
  Options engine_options;
  engine_options.data_dir = db_path + ".seeding";
  engine_options.db_path = db_path;
  engine_options.l1_capacity_bytes = 0;
  engine_options.l2_enabled = false;
  std::error_code ec;
  std::filesystem::remove_all(engine_options.data_dir, ec);
  std::optional<Result<int64_t>> written;
  {
    auto engine = Engine::Open(engine_options);
    if (!engine.ok()) return engine.status();
    written.emplace(tools::SeedDocuments(**engine, options));
  }
  std::filesystem::remove_all(engine_options.data_dir, ec);
  return std::move(*written);
}

}  // namespace folio::bench
