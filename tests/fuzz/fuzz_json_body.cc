// Fuzzes the JSON a client writes into the store: document data through Create, Update and
// Patch (RFC 7396 merge), permission rules, and type definitions. Stored data is spliced into
// pages as text and never re-parsed on the read path, so whatever a write accepts must come
// back out as the JSON it meant.
//
// Input: byte 0 picks the operation (its value mod 5); the rest is its JSON. Rules and type
// definitions are read from that JSON with the service's request shapes ({"principal_type",
// …} objects; {"id","fields":{name:kind},"facets":[…]}) — the store's validation is what is
// under test.
// Properties: refusals are input errors (never Internal, Corruption, IOError); accepted data
// reads back equal to what was sent (for a patch: to nlohmann's merge_patch of the previous
// draft); a listing over it is valid JSON; accepted rules and types read back as written.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "folio/storage/document_store.h"
#include "fuzz_support.h"

namespace {

namespace fs = std::filesystem;
namespace storage = folio::storage;
using nlohmann::json;

// Writes since the store was (re)made; past this the store is made afresh, so the database
// (versions, types, generated columns) stays small and each input costs about the same.
constexpr int kWritesPerStore = 500;

struct Fixture {
  std::unique_ptr<storage::DocumentStore> store;
  std::string draft_root;      // a document with only a draft, for Update and Patch
  std::string published_root;  // a published document, for permission rules
  int writes = 0;

  void Reset() {
    store.reset();
    const fs::path path = folio::fuzz::ScratchDir() / "json_body.sqlite";
    for (const char* suffix : {"", "-wal", "-shm"})
      fs::remove(path.string() + suffix);
    storage::StoreOptions options;
    options.path = path.string();
    options.read_connections = 1;
    auto opened = storage::DocumentStore::Open(options);
    FUZZ_CHECK(opened.ok(), opened.status().ToString());
    store = std::move(*opened);
    storage::TypeDefinition post{"post", "", {}, {"tags"}};
    post.fields = {{"views", storage::FieldKind::kInteger},
                   {"title", storage::FieldKind::kText},
                   {"score", storage::FieldKind::kNumber}};
    FUZZ_CHECK(store->RegisterType(post).ok(), "RegisterType");
    auto draft = store->Create({"default", "post", R"({"title":"draft","tags":["a"]})", {}});
    auto published = store->Create({"default", "post", R"({"title":"pub","views":1})", {}});
    FUZZ_CHECK(draft.ok() && published.ok(), "seeding");
    draft_root = draft->document.root_id;
    published_root = published->document.root_id;
    FUZZ_CHECK(store->Apply({"default", published_root, storage::LifecycleAction::kPublish}).ok(),
               "publish");
    writes = 0;
  }
};

Fixture& Store() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    f->Reset();
    return f;
  }();
  return *fixture;
}

void CheckRefusal(const folio::Status& s) {
  FUZZ_CHECK(folio::fuzz::IsRefusal(s), s.ToString());
}

// The draft as stored, read back through a page as well: both must be the JSON `expected`.
void CheckStored(const std::string& root_id, const json& expected) {
  Fixture& f = Store();
  auto doc = f.store->Get("default", root_id, storage::Axis::kDraft);
  FUZZ_CHECK(doc.ok(), doc.status().ToString());
  const json stored = json::parse(doc->data, nullptr, false);
  FUZZ_CHECK(stored == expected, doc->data + " is not " + expected.dump());
  FUZZ_CHECK(json::accept(doc->ToJson()), doc->ToJson());
  storage::Query query;
  query.type = "post";
  query.axis = storage::Axis::kDraft;
  query.limit = 3;
  auto page = f.store->List(query);
  FUZZ_CHECK(page.ok(), page.status().ToString());
  FUZZ_CHECK(json::accept(page->documents_json), page->documents_json);
}

void Create(const std::string& text) {
  Fixture& f = Store();
  auto w = f.store->Create({"default", "post", text, {}});
  if (!w.ok()) return CheckRefusal(w.status());
  ++f.writes;
  CheckStored(w->document.root_id, json::parse(text));
}

void Replace(const std::string& text, bool merge) {
  Fixture& f = Store();
  auto before = f.store->Get("default", f.draft_root, storage::Axis::kDraft);
  FUZZ_CHECK(before.ok(), before.status().ToString());
  auto w = merge ? f.store->Patch({"default", f.draft_root, text, {}})
                 : f.store->Update({"default", f.draft_root, text, {}});
  if (!w.ok()) return CheckRefusal(w.status());
  ++f.writes;
  json expected = json::parse(text);
  if (merge) {
    json base = json::parse(before->data);
    base.merge_patch(expected);
    expected = std::move(base);
  }
  CheckStored(f.draft_root, expected);
}

using RuleTuple = std::tuple<std::string, std::string, std::string, std::string>;

void SetPermissions(const std::string& text) {
  const json body = json::parse(text, nullptr, false);
  if (!body.is_array()) return;
  std::vector<storage::PermissionRule> rules;
  for (const json& r : body) {
    if (!r.is_object()) return;
    auto field = [&r](const char* key, const char* fallback) {
      return r.contains(key) && r[key].is_string() ? r[key].get<std::string>()
                                                   : std::string(fallback);
    };
    rules.push_back({field("principal_type", ""), field("principal_id", ""),
                     field("permission", ""), field("effect", "allow")});
  }
  Fixture& f = Store();
  folio::Status s = f.store->SetPermissions("default", f.published_root, rules);
  if (!s.ok()) return CheckRefusal(s);
  ++f.writes;
  auto read = f.store->GetPermissions("default", f.published_root);
  FUZZ_CHECK(read.ok(), read.status().ToString());
  auto tuples = [](const std::vector<storage::PermissionRule>& v) {
    std::vector<RuleTuple> out;
    for (const auto& r : v)
      out.emplace_back(r.principal_type, r.principal_id, r.permission, r.effect);
    std::sort(out.begin(), out.end());
    return out;
  };
  FUZZ_CHECK(tuples(*read) == tuples(rules), "rules read back differ from those written");
  // Readers named by the rules: whatever the rules say, the answer is a document or NotFound.
  for (const auto& r : rules) {
    storage::Principal p;
    if (r.principal_type == "user") p.user_id = r.principal_id;
    if (r.principal_type == "role") p.roles.push_back(r.principal_id);
    if (r.principal_type == "group") p.groups.push_back(r.principal_id);
    auto doc = f.store->Get("default", f.published_root, storage::Axis::kPublished, p);
    FUZZ_CHECK(doc.ok() || doc.status().IsNotFound() || doc.status().IsInvalidArgument(),
               doc.status().ToString());
  }
}

void RegisterType(const std::string& text) {
  const json body = json::parse(text, nullptr, false);
  if (!body.is_object() || !body.contains("id") || !body["id"].is_string()) return;
  storage::TypeDefinition def;
  def.id = body["id"].get<std::string>();
  if (body.contains("display_name") && body["display_name"].is_string())
    def.display_name = body["display_name"].get<std::string>();
  if (body.contains("fields") && body["fields"].is_object()) {
    for (const auto& [name, kind] : body["fields"].items()) {
      auto k = kind.is_string() ? storage::ParseFieldKind(kind.get<std::string>()) : std::nullopt;
      if (k) def.fields[name] = *k;
    }
  }
  if (body.contains("facets") && body["facets"].is_array()) {
    for (const json& facet : body["facets"]) {
      if (facet.is_string()) def.facets.push_back(facet.get<std::string>());
    }
  }
  Fixture& f = Store();
  auto registered = f.store->RegisterType(def);
  if (!registered.ok()) return CheckRefusal(registered.status());
  ++f.writes;
  auto type = f.store->GetType(def.id);
  FUZZ_CHECK(type.ok(), type.status().ToString());
  for (const auto& [name, kind] : def.fields) {
    auto it = type->fields.find(name);
    FUZZ_CHECK(it != type->fields.end() && it->second == kind, "field " + name + " not kept");
  }
  for (const auto& facet : def.facets) {
    FUZZ_CHECK(std::count(type->facets.begin(), type->facets.end(), facet) == 1,
               "facet " + facet + " not kept");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Only between inputs: an input's checks hold the roots of the store it wrote to.
  if (Store().writes >= kWritesPerStore) Store().Reset();
  const std::string text(folio::fuzz::AsText(data + 1, size - 1));
  switch (data[0] % 5) {
    case 0:
      Create(text);
      break;
    case 1:
      Replace(text, /*merge=*/true);
      break;
    case 2:
      Replace(text, /*merge=*/false);
      break;
    case 3:
      SetPermissions(text);
      break;
    case 4:
      RegisterType(text);
      break;
  }
  return 0;
}
