#include "folio/tools/seed.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>

namespace folio::tools {

std::vector<std::string> SeedTypeIds(int types) {
  static const std::array<const char*, 5> kNames = {"blog-post", "product", "event", "recipe",
                                                    "faq"};
  std::vector<std::string> ids;
  for (int i = 0; i < types; ++i) {
    ids.push_back(i < static_cast<int>(kNames.size()) ? kNames[static_cast<size_t>(i)]
                                                      : "type-" + std::to_string(i));
  }
  return ids;
}

Result<int64_t> SeedDocuments(Engine& engine, const SeedOptions& options) {
  if (options.count < 0) return Status::InvalidArgument("seed count must not be negative");
  if (options.types < 1 || options.types > 64) {
    return Status::InvalidArgument("seed types " + std::to_string(options.types) +
                                   " is out of range 1..64");
  }
  if (options.batch_size < 1) return Status::InvalidArgument("seed batch size must be positive");
  const std::vector<std::string> type_ids = SeedTypeIds(options.types);
  for (const auto& id : type_ids) {
    storage::TypeDefinition def;
    def.id = id;
    def.fields = {{"title", storage::FieldKind::kText},
                  {"category", storage::FieldKind::kText},
                  {"views", storage::FieldKind::kInteger},
                  {"rating", storage::FieldKind::kNumber},
                  {"featured", storage::FieldKind::kBoolean}};
    def.facets = {"tags"};
    auto registered = engine.RegisterType(def);
    if (!registered.ok()) return registered.status();
  }

  static const std::array<const char*, 8> kTags = {"news",   "guide", "tech", "food",
                                                   "travel", "sale",  "new",  "featured"};
  static const std::array<const char*, 4> kCategories = {"alpha", "beta", "gamma", "delta"};
  std::mt19937_64 rng(options.seed);
  const std::string filler =
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ";

  // Slugs must be unique per type; a nonce per run lets seed run again on the same store.
  char nonce[9];
  std::snprintf(nonce, sizeof nonce, "%08x", static_cast<unsigned>(std::random_device{}()));
  int64_t written = 0;
  while (written < options.count) {
    std::vector<storage::WriteOp> ops;
    std::vector<size_t> creates;
    int64_t in_batch = std::min<int64_t>(options.batch_size, options.count - written);
    for (int64_t i = 0; i < in_batch; ++i) {
      int64_t n = written + i;
      nlohmann::json data;
      data["title"] = "Document " + std::to_string(n);
      data["category"] = kCategories[rng() % kCategories.size()];
      data["views"] = static_cast<int64_t>(rng() % 10000);
      data["rating"] = static_cast<double>(rng() % 50) / 10.0;
      data["featured"] = rng() % 10 == 0;
      nlohmann::json tags = nlohmann::json::array();
      for (size_t t = 0; t < kTags.size(); ++t) {
        if (rng() % 4 == 0) tags.push_back(kTags[t]);
      }
      data["tags"] = tags;
      std::string body;
      while (body.size() < options.body_bytes)
        body += filler;
      body.resize(options.body_bytes);
      data["body"] = body;
      storage::CreateOp create;
      create.tenant = options.tenant;
      create.type = type_ids[static_cast<size_t>(n % options.types)];
      create.data = data.dump();
      create.fields.slug = "doc-" + std::to_string(n) + "-" + nonce;
      ops.emplace_back(std::move(create));
    }
    // Creating assigns ids, so publishing goes in a second batch that names them.
    auto created = engine.WriteBatch(ops);
    if (!created.ok()) return created.status();
    if (options.publish) {
      std::vector<storage::WriteOp> publishes;
      for (const auto& r : *created) {
        publishes.emplace_back(storage::LifecycleOp{options.tenant, r.document.root_id,
                                                    storage::LifecycleAction::kPublish});
      }
      auto published = engine.WriteBatch(publishes);
      if (!published.ok()) return published.status();
    }
    written += in_batch;
    if (options.on_progress) options.on_progress(written);
  }
  return written;
}

}  // namespace folio::tools
