// The SonicJS model's reads through a whole Engine: expansion (include=), by-slug reads,
// children listings and global types, each cached and each dropped — in L1 and in L2 — by
// exactly the changes that alter it, embedded documents included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engine_test_util.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"
#include "folio/storage/type_format.h"

namespace folio {
namespace {

using engine_testing::ComparePage;
using engine_testing::CreatePublished;
using engine_testing::Must;
using engine_testing::TempDir;
using nlohmann::json;

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine();
    Register(R"({"id":"person","queryableFields":[{"name":"team","kind":"scalar"}]})");
    Register(R"({"id":"post","queryableFields":[
        {"name":"cat","kind":"scalar"},
        {"name":"author","kind":"reference","refStrength":"strong"},
        {"name":"related","kind":"reference"}]})");
    Register(R"({"id":"country","settings":{"global":true},"queryableFields":[]})");
    storage::StoreOptions so;
    so.path = (dir_.path() / "folio.sqlite").string();
    so.create_if_missing = false;
    direct_ = Must(storage::DocumentStore::Open(so), "open direct store");
  }

  void Register(const std::string& type_json) {
    Must(engine_->RegisterType(Must(storage::ParseTypeJson(type_json), "parse")), "register");
  }

  std::unique_ptr<Engine> OpenEngine() {
    Options options;
    options.data_dir = dir_.str();
    options.l1_capacity_bytes = 16 << 20;
    options.l2_map_size_bytes = 64 << 20;
    return Must(Engine::Open(options), "open engine");
  }

  std::string Make(const std::string& type, const json& data, const std::string& tenant = "default",
                   storage::DocumentFields fields = {}) {
    return CreatePublished(*engine_, storage::CreateOp{tenant, type, data.dump(), fields});
  }
  void Edit(const std::string& root, const json& patch, const std::string& tenant = "default") {
    Must(engine_->Write(storage::PatchOp{tenant, root, patch.dump(), {}}), "patch");
    Must(engine_->Write(storage::LifecycleOp{tenant, root, storage::LifecycleAction::kPublish}),
         "publish");
  }

  // Queries and checks the page against the store's own answer; the tier that answered.
  Tier Ask(Engine& engine, const storage::Query& q) {
    auto got = engine.Query(q);
    EXPECT_EQ(ComparePage(got, direct_->List(q)), "") << q.CanonicalKey();
    return got.ok() ? got->tier() : Tier::kDatabase;
  }

  static storage::Query Posts(std::vector<std::string> include = {"author", "related"}) {
    storage::Query q;
    q.type = "post";
    q.include = std::move(include);
    return q;
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<storage::DocumentStore> direct_;
};

TEST_F(ModelTest, AnEmbeddingPageIsDroppedByChangesToWhatItEmbeds) {
  const std::string ann = Make("person", {{"name", "Ann"}, {"team", "x"}});
  const std::string bo = Make("person", {{"name", "Bo"}, {"team", "y"}});
  const std::string cy = Make("person", {{"name", "Cy"}, {"team", "y"}});
  Make("post", {{"cat", "a"}, {"author", ann}, {"related", {bo, ann}}});
  const storage::Query q = Posts();
  auto page = Must(engine_->Query(q), "query");
  json docs = json::parse(page.documents_json());
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["embedded"]["author"][0]["data"]["name"], "Ann");
  ASSERT_EQ(docs[0]["embedded"]["related"].size(), 2u);
  EXPECT_EQ(docs[0]["embedded"]["related"][0]["root_id"], bo);
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);

  // A person nothing embeds leaves the page cached; an embedded one drops it.
  Edit(cy, {{"name", "Cyd"}});
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);
  Edit(bo, {{"name", "Bob"}});
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);
  engine_->FlushFills();

  // The L2 copy is checked against embedded roots too: in an engine opened after the edit
  // (what another process sees), the copy read before it is not served.
  engine_.reset();
  auto second = OpenEngine();
  EXPECT_EQ(Ask(*second, q), Tier::kKv);
  Must(second->Write(storage::PatchOp{"default", ann, R"({"name":"Anna"})", {}}), "patch");
  Must(second->Write(storage::LifecycleOp{"default", ann}), "publish");
  second->FlushFills();
  second.reset();
  engine_ = OpenEngine();
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  json fresh = json::parse(Must(engine_->Query(q), "query").documents_json());
  EXPECT_EQ(fresh[0]["embedded"]["author"][0]["data"]["name"], "Anna");
}

TEST_F(ModelTest, EmbeddingFollowsTheReadersAxisAndPermissions) {
  const std::string ann = Make("person", {{"name", "Ann"}});
  const std::string hidden = Make("person", {{"name", "Hidden"}});
  Make("post", {{"author", ann}, {"related", {hidden}}});
  Must(engine_->SetPermissions("default", hidden, {{"role", "staff", "read", "allow"}}), "rules");
  storage::Query q = Posts();
  json docs = json::parse(Must(engine_->Query(q), "query").documents_json());
  EXPECT_TRUE(docs[0]["embedded"]["related"].empty()) << "the public may not read it";
  q.principal.roles = {"staff"};
  docs = json::parse(Must(engine_->Query(q), "query").documents_json());
  EXPECT_EQ(docs[0]["embedded"]["related"].size(), 1u);
  // A draft edit of the author shows on the draft axis only.
  Must(engine_->Write(storage::PatchOp{"default", ann, R"({"name":"Draft Ann"})", {}}), "patch");
  q = Posts({"author"});
  docs = json::parse(Must(engine_->Query(q), "query").documents_json());
  EXPECT_EQ(docs[0]["embedded"]["author"][0]["data"]["name"], "Ann");
  q.axis = storage::Axis::kDraft;
  docs = json::parse(Must(engine_->Query(q), "query").documents_json());
  EXPECT_EQ(docs[0]["embedded"]["author"][0]["data"]["name"], "Draft Ann");
  // An unknown include, or a field that is no reference, is refused.
  for (const char* bad : {"nope", "cat"}) {
    auto refused = engine_->Query(Posts({bad}));
    EXPECT_TRUE(refused.status().IsInvalidArgument()) << bad;
  }
}

TEST_F(ModelTest, APageEmbeddingAScheduledDocumentIsNotCached) {
  storage::DocumentFields window;
  window.expires_at = 4'000'000'000;  // expires later: no write will mark the moment
  const std::string ann = Make("person", {{"name", "Ann"}}, "default", window);
  Make("post", {{"author", ann}});
  const storage::Query q = Posts({"author"});
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  // Without the include, the same listing caches.
  EXPECT_EQ(Ask(*engine_, Posts({})), Tier::kDatabase);
  EXPECT_EQ(Ask(*engine_, Posts({})), Tier::kMemory);
}

TEST_F(ModelTest, SingleReadsEmbedAndFollowTheirEmbeddedDocuments) {
  const std::string ann = Make("person", {{"name", "Ann"}});
  const std::string post = Make("post", {{"author", ann}});
  auto read = [&] {
    return Must(engine_->Get("default", post, storage::Axis::kPublished, {}, {"author"}), "get");
  };
  auto first = read();
  EXPECT_EQ(json::parse(first.json())["embedded"]["author"][0]["data"]["name"], "Ann");
  EXPECT_EQ(read().tier(), Tier::kMemory);
  Edit(ann, {{"name", "Anna"}});
  auto after = read();
  EXPECT_EQ(after.tier(), Tier::kDatabase);
  EXPECT_EQ(json::parse(after.json())["embedded"]["author"][0]["data"]["name"], "Anna");
  // The document without include is the plain document.
  auto plain = Must(engine_->Get("default", post, storage::Axis::kPublished), "get");
  EXPECT_FALSE(json::parse(plain.json()).contains("embedded"));
  EXPECT_TRUE(engine_->Get("default", post, storage::Axis::kPublished, {}, {"nope"})
                  .status()
                  .IsInvalidArgument());
}

TEST_F(ModelTest, BySlugReadsAreCachedAndFollowEveryChangeOfTheSlug) {
  storage::DocumentFields slugged;
  slugged.slug = "hello";
  const std::string first = Make("person", {{"name", "One"}}, "default", slugged);
  auto read = [&](Engine::SlugStatus status) {
    return engine_->GetBySlug("default", "person", "hello", "default", status);
  };
  auto got = Must(read(Engine::SlugStatus::kPublished), "by slug");
  EXPECT_EQ(json::parse(got.json())["root_id"], first);
  EXPECT_EQ(Must(read(Engine::SlugStatus::kPublished), "by slug").tier(), Tier::kMemory);
  // The slug moves to another document: the cached answer goes.
  Must(engine_->Write(storage::PatchOp{"default", first, "{}",
                                       [] {
                                         storage::DocumentFields f;
                                         f.slug = "bye";
                                         return f;
                                       }()}),
       "patch");
  Must(engine_->Write(storage::LifecycleOp{"default", first}), "publish");
  EXPECT_TRUE(read(Engine::SlugStatus::kPublished).status().IsNotFound());
  const std::string second = Make("person", {{"name", "Two"}}, "default", slugged);
  EXPECT_EQ(json::parse(Must(read(Engine::SlugStatus::kPublished), "by slug").json())["root_id"],
            second);
  // A draft is found only when asked for (published first, then the draft).
  slugged.slug = "draft-only";
  auto draft =
      Must(engine_->Write(storage::CreateOp{"default", "person", "{}", slugged}), "create");
  EXPECT_TRUE(
      engine_
          ->GetBySlug("default", "person", "draft-only", "default", Engine::SlugStatus::kPublished)
          .status()
          .IsNotFound());
  auto any = Must(
      engine_->GetBySlug("default", "person", "draft-only", "default", Engine::SlugStatus::kAny),
      "any");
  EXPECT_EQ(json::parse(any.json())["root_id"], draft.document.root_id);
}

TEST_F(ModelTest, ChildrenListingsAreCachedAndFollowMoves) {
  const std::string home = Make("person", {{"name", "home"}});
  storage::DocumentFields child;
  child.parent_root_id = home;
  child.sort_order = 2;
  const std::string b = Make("person", {{"name", "b"}}, "default", child);
  child.sort_order = 1;
  const std::string a = Make("person", {{"name", "a"}}, "default", child);
  storage::Query kids;
  kids.type = "person";
  kids.parent = home;
  kids.sort = "sort_order";
  kids.order = storage::SortOrder::kAsc;
  EXPECT_EQ(Ask(*engine_, kids), Tier::kDatabase);
  EXPECT_EQ(Ask(*engine_, kids), Tier::kMemory);
  // Reordering a child reaches the listing.
  storage::DocumentFields move;
  move.sort_order = 3;
  Must(engine_->Write(storage::PatchOp{"default", a, "{}", move}), "patch");
  Must(engine_->Write(storage::LifecycleOp{"default", a}), "publish");
  EXPECT_EQ(Ask(*engine_, kids), Tier::kDatabase);
  json docs = json::parse(Must(engine_->Query(kids), "query").documents_json());
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["root_id"], b);
  EXPECT_EQ(docs[1]["root_id"], a);
}

TEST_F(ModelTest, GlobalDocumentsAreSharedAndFreshInEveryTenant) {
  const std::string fr = Make("country", {{"name", "France"}}, "acme");
  storage::Query q;
  q.type = "country";
  for (const char* tenant : {"acme", "zeta"}) {
    q.tenant = tenant;
    EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
    EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);
  }
  // An edit made from one tenant reaches the pages and the single reads of every tenant.
  auto get = [&](const std::string& tenant) {
    return Must(engine_->Get(tenant, fr, storage::Axis::kPublished), "get");
  };
  EXPECT_EQ(get("zeta").tier(), Tier::kDatabase);
  EXPECT_EQ(get("zeta").tier(), Tier::kMemory);
  Edit(fr, {{"name", "France!"}}, "acme");
  for (const char* tenant : {"acme", "zeta"}) {
    q.tenant = tenant;
    EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase) << tenant;
  }
  auto fresh = get("zeta");
  EXPECT_EQ(fresh.tier(), Tier::kDatabase);
  EXPECT_EQ(json::parse(fresh.json())["data"]["name"], "France!");
}

// Issue 13 through the C++ API: a refused write (a permission, a field's type, the type's JSON
// Schema) changes nothing and leaves cached pages cached; an allowed one is seen at once, with
// its author and its data's bytes as written.
TEST_F(ModelTest, RefusedWritesChangeNothingAndAllowedOnesAreSeenExactly) {
  Register(R"({"id":"memo","queryableFields":[{"name":"n","kind":"scalar","type":"integer"}],
      "settings":{"baseGrants":{"editor":["update","publish"]},
                  "jsonSchema":{"type":"object","properties":{"n":{"maximum":100}}}}})");
  const std::string root = Make("memo", {{"n", 1}});
  storage::Query q;
  q.type = "memo";
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);

  storage::Principal viewer;
  viewer.user_id = "v";
  viewer.roles = {"viewer"};
  storage::PatchOp denied{"default", root, R"({"n":2})", {}};
  denied.principal = viewer;
  EXPECT_EQ(engine_->Write(denied).status().code(), Status::Code::kPermissionDenied);
  EXPECT_TRUE(engine_->Write(storage::PatchOp{"default", root, R"({"n":"2"})", {}})
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(engine_->Write(storage::PatchOp{"default", root, R"({"n":101})", {}})
                  .status()
                  .IsInvalidArgument());
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory) << "a refused write dropped the page";

  storage::Principal editor;
  editor.user_id = "ed";
  editor.roles = {"editor"};
  storage::PatchOp patch{"default", root, R"({"n":2.0e1,"note":"caf\u00e9"})", {}};
  patch.principal = editor;
  Must(engine_->Write(patch), "patch as editor");
  storage::LifecycleOp publish{"default", root};
  publish.principal = editor;
  Must(engine_->Write(publish), "publish as editor");
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  auto doc = Must(engine_->Get("default", root, storage::Axis::kPublished), "get");
  const std::string text(doc.json());
  EXPECT_NE(text.find(R"("data":{"n":2.0e1,"note":"caf\u00e9"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("updated_by":"ed")"), std::string::npos) << text;
}

}  // namespace
}  // namespace folio
