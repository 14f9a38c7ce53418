// SonicJS's document model beyond listings: facet and reference rows derived per version,
// strong references guarding deletes, "where used", versioning on and off with retention,
// versions listed, read and restored, slugs, parents and sort order, the document's shape.
#include "folio/storage/type_format.h"
#include "storage/store_fixture.h"

namespace folio::storage::testing {
namespace {

class DocumentModelTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Must(store_->RegisterType(Must(ParseTypeJson(R"({"id":"person","queryableFields":[]})"))));
    Must(store_->RegisterType(Must(ParseTypeJson(R"({
      "id": "story",
      "queryableFields": [
        {"name": "labels", "path": "$.meta.labels", "kind": "facet"},
        {"name": "author", "kind": "reference", "refStrength": "strong"},
        {"name": "related", "kind": "reference"}
      ],
      "settings": {"versioning": true, "maxVersionsPerRoot": 2}
    })"))));
    Must(store_->RegisterType(Must(ParseTypeJson(R"({
      "id": "page", "queryableFields": [{"name": "n", "kind": "scalar", "type": "integer"}]
    })"))));  // SonicJS's default: versioning off
  }

  std::string Make(const std::string& type, const json& data, const std::string& tenant = "default",
                   DocumentFields fields = {}) {
    return Must(store_->Create(CreateOp{tenant, type, data.dump(), fields}), "Create")
        .document.root_id;
  }

  // (field, ordinal, to_root, strength) of the reference rows of `root`'s rows, sorted.
  std::vector<std::vector<std::string>> References(const std::string& root) {
    return raw().Rows(
        "SELECT r.field_name, r.ordinal, r.to_root_id, r.ref_strength, d.is_current_draft, "
        "d.is_published FROM document_references r JOIN documents d ON d.id = "
        "r.from_document_id WHERE r.from_root_id = ?1 ORDER BY 5, 6, 1, 2",
        {root});
  }
};

TEST_F(DocumentModelTest, DerivesFacetAndReferenceRowsAsSonicJs) {
  std::string ann = Make("person", {{"name", "Ann"}});
  std::string bo = Make("person", {{"name", "Bo"}});
  std::string story =
      Make("story",
           {{"meta", {{"labels", {"a", 2, true, "b"}}}}, {"author", ann}, {"related", {bo, ann}}});
  // An array gives one row per element at its position; a number goes to value_number.
  EXPECT_EQ(raw().Rows("SELECT ordinal, coalesce(value_text, '-'), coalesce(value_number, '-') "
                       "FROM document_facets WHERE root_id = ?1 ORDER BY ordinal",
                       {story}),
            (std::vector<std::vector<std::string>>{
                {"0", "a", "-"}, {"1", "-", "2.0"}, {"2", "true", "-"}, {"3", "b", "-"}}));
  EXPECT_EQ(References(story),
            (std::vector<std::vector<std::string>>{{"author", "0", ann, "strong", "1", "0"},
                                                   {"related", "0", bo, "weak", "1", "0"},
                                                   {"related", "1", ann, "weak", "1", "0"}}));
  // A new version carries its own rows; the old draft, on neither axis, keeps none.
  Must(store_->Update(UpdateOp{"default", story, json{{"author", bo}}.dump(), {}}));
  EXPECT_EQ(References(story),
            (std::vector<std::vector<std::string>>{{"author", "0", bo, "strong", "1", "0"}}));
  Publish(story);
  Must(store_->Update(UpdateOp{"default", story, json{{"related", ann}}.dump(), {}}));
  EXPECT_EQ(References(story),
            (std::vector<std::vector<std::string>>{{"author", "0", bo, "strong", "0", "1"},
                                                   {"related", "0", ann, "weak", "1", "0"}}));
}

TEST_F(DocumentModelTest, RefusesReferencesToWhatIsNotThere) {
  std::string ann = Make("person", {{"name", "Ann"}});
  std::string elsewhere = Make("person", {{"name", "Cy"}}, "other");
  auto before = Snapshot();
  for (const json& data :
       {json{{"author", "no-such-root"}}, json{{"author", elsewhere}}, json{{"author", 7}},
        json{{"related", {ann, json::object()}}}, json{{"author", ""}}}) {
    auto s = store_->Create(CreateOp{"default", "story", data.dump(), {}}).status();
    EXPECT_TRUE(s.IsInvalidArgument()) << data << " -> " << s.ToString();
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(DocumentModelTest, StrongReferencesGuardDeletesAndAreListed) {
  std::string ann = Make("person", {{"name", "Ann"}});
  std::string bo = Make("person", {{"name", "Bo"}});
  std::string story = Make("story", {{"author", ann}, {"related", bo}});
  // Where used.
  auto referrers = Must(store_->ListReferrers("default", ann, 100));
  ASSERT_EQ(referrers.size(), 1u);
  EXPECT_EQ(referrers[0].root_id, story);
  EXPECT_EQ(referrers[0].field, "author");
  EXPECT_EQ(referrers[0].strength, RefStrength::kStrong);
  EXPECT_TRUE(referrers[0].current_draft);
  EXPECT_EQ(Must(store_->ListReferrers("default", bo, 100)).size(), 1u);
  EXPECT_TRUE(store_->ListReferrers("other", ann, 100).status().IsNotFound());
  // A strong inbound reference refuses the delete, naming the referrer; nothing changes.
  auto before = Snapshot();
  auto refused = store_->Apply(LifecycleOp{"default", ann, LifecycleAction::kDelete}).status();
  ASSERT_TRUE(refused.IsConflict()) << refused.ToString();
  EXPECT_NE(refused.message().find(story + " (author)"), std::string::npos) << refused.message();
  EXPECT_EQ(Snapshot(), before);
  // A weak one does not.
  FOLIO_ASSERT_OK(store_->Apply(LifecycleOp{"default", bo, LifecycleAction::kDelete}));
  // Once the referrer is deleted, its references no longer count.
  FOLIO_ASSERT_OK(store_->Apply(LifecycleOp{"default", story, LifecycleAction::kDelete}));
  EXPECT_TRUE(Must(store_->ListReferrers("default", ann, 100)).empty());
  FOLIO_ASSERT_OK(store_->Apply(LifecycleOp{"default", ann, LifecycleAction::kDelete}));
}

TEST_F(DocumentModelTest, VersioningOffUpdatesTheDraftInPlace) {
  std::string root = Make("page", {{"n", 1}});
  const std::string id = Must(store_->Get("default", root, Axis::kDraft)).id;
  auto updated = Must(store_->Update(UpdateOp{"default", root, R"({"n":2})", {}}));
  EXPECT_EQ(updated.document.id, id);
  EXPECT_EQ(updated.document.version, 1);
  EXPECT_EQ(RowStates(root), std::vector<std::string>{"1|1|0|draft|0"});
  // A draft of a published row is a new row; publishing it deletes the superseded one.
  Publish(root);
  Must(store_->Update(UpdateOp{"default", root, R"({"n":3})", {}}));
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|1|published|0", "2|1|0|draft|0"}));
  Must(store_->Update(UpdateOp{"default", root, R"({"n":4})", {}}));
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|1|published|0", "2|1|0|draft|0"}));
  Publish(root);
  EXPECT_EQ(RowStates(root), std::vector<std::string>{"2|1|1|published|0"});
  EXPECT_EQ(DataOf(Must(store_->Get("default", root, Axis::kPublished)))["n"], 4);
}

TEST_F(DocumentModelTest, VersioningOnKeepsMaxVersionsPerRoot) {
  std::string ann = Make("person", {{"name", "Ann"}});
  std::string root = Make("story", {{"author", ann}});
  Publish(root);
  for (int i = 0; i < 5; ++i)
    Must(store_->Update(UpdateOp{"default", root, json{{"i", i}}.dump(), {}}));
  // maxVersionsPerRoot 2: the newest two plus the published row.
  EXPECT_EQ(RowStates(root),
            (std::vector<std::string>{"1|0|1|published|0", "5|0|0|draft|0", "6|1|0|draft|0"}));
}

TEST_F(DocumentModelTest, VersionsAreListedReadAndRestored) {
  std::string ann = Make("person", {{"name", "Ann"}});
  std::string root =
      Make("story", {{"author", ann}, {"i", 0}}, "default", Fields().Slug("first").Title("First"));
  Must(store_->Update(UpdateOp{"default", root, json{{"i", 1}}.dump(), Fields().Title("Second")}));
  Must(store_->Update(UpdateOp{"default", root, json{{"i", 2}}.dump(), {}}));
  // Newest first, keyset pages (maxVersionsPerRoot 2 kept versions 2 and 3).
  auto first = Must(store_->ListVersions("default", root, 1, ""));
  ASSERT_EQ(first.versions.size(), 1u);
  EXPECT_EQ(first.versions[0].version, 3);
  ASSERT_TRUE(first.next_cursor);
  auto rest = Must(store_->ListVersions("default", root, 10, *first.next_cursor));
  ASSERT_EQ(rest.versions.size(), 1u);
  EXPECT_EQ(rest.versions[0].version, 2);
  EXPECT_FALSE(rest.next_cursor);
  EXPECT_EQ(Must(store_->GetVersion("default", root, 2)).title,
            std::optional<std::string>("Second"));
  EXPECT_TRUE(store_->GetVersion("default", root, 1).status().IsNotFound());  // pruned
  EXPECT_TRUE(store_->GetVersion("default", root, 0).status().IsInvalidArgument());
  EXPECT_TRUE(store_->ListVersions("default", root, 1, "x").status().IsInvalidArgument());
  EXPECT_TRUE(store_->ListVersions("default", root, 0, "").status().IsInvalidArgument());
  EXPECT_TRUE(store_->ListVersions("other", root, 5, "").status().IsNotFound());
  // Restoring version 2 writes a new current draft with its data and title.
  LifecycleOp restore{"default", root, LifecycleAction::kRestoreVersion};
  restore.version = 2;
  auto restored = Must(store_->Apply(restore));
  EXPECT_EQ(restored.document.version, 4);
  EXPECT_EQ(DataOf(restored.document)["i"], 1);
  EXPECT_EQ(restored.document.title, std::optional<std::string>("Second"));
  auto before = Snapshot();
  restore.version = 99;
  EXPECT_TRUE(store_->Apply(restore).status().IsNotFound());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(DocumentModelTest, SlugsParentsAndSortOrderAreListings) {
  std::string parent = Make("page", {{"n", 0}}, "default", Fields().Slug("home"));
  DocumentFields child = Fields().Slug("b");
  child.parent_root_id = parent;
  child.sort_order = 2;
  std::string b = Make("page", {{"n", 2}}, "default", child);
  child.slug = "a";
  child.sort_order = 1;
  std::string a = Make("page", {{"n", 1}}, "default", child);
  for (const auto& r : {parent, a, b})
    Publish(r);
  // By slug: one row.
  Query by_slug;
  by_slug.type = "page";
  by_slug.slug = "b";
  EXPECT_EQ(Field(ListAll(*store_, by_slug), "root_id"), std::vector<std::string>{b});
  by_slug.slug = "zzz";
  EXPECT_TRUE(ListAll(*store_, by_slug).empty());
  // Children by sort_order, keyset-paginated.
  Query children;
  children.type = "page";
  children.parent = parent;
  children.sort = "sort_order";
  children.order = SortOrder::kAsc;
  EXPECT_EQ(Field(ListAll(*store_, children, 1), "root_id"), (std::vector<std::string>{a, b}));
  children.parent = "";
  EXPECT_EQ(Field(ListAll(*store_, children), "root_id"), std::vector<std::string>{parent});
  // A parent must be a document of the tenant.
  DocumentFields orphan;
  orphan.parent_root_id = "missing";
  EXPECT_TRUE(
      store_->Create(CreateOp{"default", "page", "{}", orphan}).status().IsInvalidArgument());
  // The document's shape carries the model's columns.
  json doc = json::parse(Must(store_->Get("default", a, Axis::kPublished)).ToJson());
  for (const char* key : {"slug", "title", "path", "parent_root_id", "sort_order", "scheduled_at",
                          "expires_at", "version", "created_by", "updated_by"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
  EXPECT_EQ(doc["parent_root_id"], parent);
  EXPECT_EQ(doc["sort_order"], 1);
  EXPECT_EQ(doc["slug"], "a");
  // Listings write the same shape.
  EXPECT_EQ(ListAll(*store_, by_slug).size(), 0u);
  by_slug.slug = "a";
  EXPECT_EQ(ListAll(*store_, by_slug).front(), doc);
}

// A schedule field given as null is cleared; an omitted one is kept (issue 13 item 5).
TEST_F(DocumentModelTest, SchedulesAreSetKeptAndCleared) {
  std::string root =
      Make("page", {{"n", 1}}, "default", Fields().ScheduledAt(now() - 10).ExpiresAt(now() + 100));
  auto get = [&] { return Must(store_->Get("default", root, Axis::kDraft)); };
  Must(store_->Update(UpdateOp{"default", root, R"({"n":2})", {}}));
  EXPECT_EQ(get().scheduled_at, std::optional<int64_t>(now() - 10)) << "omitted: kept";
  EXPECT_EQ(get().expires_at, std::optional<int64_t>(now() + 100));
  DocumentFields clear;
  clear.clear_expires_at = true;
  Must(store_->Patch(PatchOp{"default", root, R"({"n":3})", clear}));
  EXPECT_EQ(get().expires_at, std::nullopt);
  EXPECT_EQ(get().scheduled_at, std::optional<int64_t>(now() - 10));
  clear.clear_scheduled_at = true;
  Must(store_->Update(UpdateOp{"default", root, R"({"n":4})", clear}));
  EXPECT_EQ(get().scheduled_at, std::nullopt);
  // Set and cleared at once is refused, and writes nothing.
  auto before = Snapshot();
  DocumentFields both = Fields().ExpiresAt(now() + 5);
  both.clear_expires_at = true;
  EXPECT_TRUE(
      store_->Update(UpdateOp{"default", root, R"({"n":5})", both}).status().IsInvalidArgument());
  EXPECT_EQ(Snapshot(), before);
  // A published document whose expiry is cleared is listed again at once.
  DocumentFields expired = Fields().ExpiresAt(now() + 1);
  std::string gone = Make("page", {{"n", 9}}, "default", expired);
  Publish(gone);
  clock_.AdvanceSeconds(5);
  Query q;
  q.type = "page";
  EXPECT_TRUE(Field(ListAll(*store_, q), "root_id").empty());
  DocumentFields revive;
  revive.clear_expires_at = true;
  Must(store_->Patch(PatchOp{"default", gone, "{}", revive}));
  Publish(gone);
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"), std::vector<std::string>{gone});
}

}  // namespace
}  // namespace folio::storage::testing
