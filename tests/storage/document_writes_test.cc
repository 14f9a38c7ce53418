// Every write's effect on both axes (draft and published), versions, pruning, slugs, the
// partial unique indexes, facets per version, tenant isolation and batches.
#include <gtest/gtest.h>

#include <algorithm>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

class WritesTest : public StoreTest {};

TEST_F(WritesTest, CreateWritesVersionOneAsCurrentDraftOnly) {
  auto created = Must(store_->Create(
      CreateOp{"default", "post", R"({"title":"a","views":1})", Fields().Slug("a").Title("A")}));
  const Document& d = created.document;
  EXPECT_TRUE(created.changed);
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(d.id, d.root_id);
  EXPECT_TRUE(d.is_current_draft);
  EXPECT_FALSE(d.is_published);
  EXPECT_EQ(d.status, "draft");
  EXPECT_EQ(d.type, "post");
  EXPECT_EQ(d.tenant, "default");
  EXPECT_EQ(d.locale, "default");
  EXPECT_EQ(d.slug, "a");
  EXPECT_EQ(d.created_at, clock_.NowSeconds());
  EXPECT_EQ(d.updated_at, clock_.NowSeconds());
  EXPECT_FALSE(d.published_at);
  EXPECT_EQ(DataOf(d), json::parse(R"({"title":"a","views":1})"));

  EXPECT_EQ(RowStates(d.root_id), std::vector<std::string>{"1|1|0|draft|0"});
  EXPECT_TRUE(store_->Get("default", d.root_id, Axis::kPublished).status().IsNotFound());
  auto draft = Must(store_->Get("default", d.root_id, Axis::kDraft));
  EXPECT_EQ(draft.id, d.id);
  EXPECT_EQ(draft.version, 1);

  EXPECT_FALSE(Contains(RootIds(PostQuery(Axis::kPublished)), d.root_id));
  EXPECT_EQ(RootIds(PostQuery(Axis::kDraft)), std::vector<std::string>{d.root_id});
  // A new id is a UUID v7.
  ASSERT_EQ(d.id.size(), 36u);
  EXPECT_EQ(d.id[14], '7');
}

TEST_F(WritesTest, UpdateWritesNewDraftAndLeavesPublishedRowUntouched) {
  std::string root = Create({{"title", "v1"}, {"views", 1}});
  Publish(root);
  auto published_before = raw().Rows("SELECT * FROM documents WHERE root_id = ?1", {root});
  clock_.AdvanceSeconds(5);

  auto updated = Update(root, {{"title", "v2"}, {"views", 2}});
  EXPECT_TRUE(updated.changed);
  EXPECT_EQ(updated.document.version, 2);
  EXPECT_TRUE(updated.document.is_current_draft);
  EXPECT_FALSE(updated.document.is_published);
  EXPECT_EQ(updated.document.status, "draft");
  EXPECT_EQ(updated.document.root_id, root);
  EXPECT_NE(updated.document.id, root);
  EXPECT_EQ(updated.document.updated_at, clock_.NowSeconds());
  EXPECT_EQ(DataOf(updated.document)["title"], "v2");

  // v1 stays published, only its current-draft flag moved; v2 points back at v1.
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|1|published|0", "2|1|0|draft|0"}));
  auto v1_now =
      raw().Rows("SELECT * FROM documents WHERE root_id = ?1 AND version_number = 1", {root});
  auto cols = raw().Column("SELECT name FROM pragma_table_info('documents')");
  auto current_col = std::find(cols.begin(), cols.end(), "is_current_draft") - cols.begin();
  ASSERT_EQ(v1_now.size(), 1u);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (static_cast<long>(i) == current_col) continue;
    EXPECT_EQ(v1_now[0][i], published_before[0][i]) << "column " << cols[i] << " of v1 changed";
  }
  EXPECT_EQ(
      raw().Column("SELECT version_of_id FROM documents WHERE id = ?1", {updated.document.id}),
      std::vector<std::string>{root});

  auto pub = Must(store_->Get("default", root, Axis::kPublished));
  EXPECT_EQ(pub.version, 1);
  EXPECT_EQ(DataOf(pub)["title"], "v1");
  auto draft = Must(store_->Get("default", root, Axis::kDraft));
  EXPECT_EQ(draft.version, 2);
  EXPECT_EQ(DataOf(draft)["title"], "v2");

  auto published_list = ListAll(*store_, PostQuery(Axis::kPublished));
  ASSERT_EQ(published_list.size(), 1u);
  EXPECT_EQ(published_list[0]["data"]["title"], "v1");
  EXPECT_EQ(published_list[0]["version"], 1);
  EXPECT_EQ(published_list[0]["status"], "published");
  auto draft_list = ListAll(*store_, PostQuery(Axis::kDraft));
  ASSERT_EQ(draft_list.size(), 1u);
  EXPECT_EQ(draft_list[0]["data"]["title"], "v2");
  EXPECT_EQ(draft_list[0]["version"], 2);

  // Unset optional fields are kept; set ones change.
  Must(store_->Update(
      UpdateOp{"default", root, R"({"title":"v3"})", Fields().Slug("s").Title("T")}));
  auto kept2 = Update(root, {{"title", "v4"}});
  EXPECT_EQ(kept2.document.slug, "s");
  EXPECT_EQ(kept2.document.title, "T");
  EXPECT_EQ(kept2.document.version, 4);
}

TEST_F(WritesTest, PublishMovesThePublishedRowAndArchivesThePrevious) {
  std::string root = Create({{"title", "v1"}});
  clock_.AdvanceSeconds(10);
  auto p1 = Publish(root);
  EXPECT_TRUE(p1.changed);
  EXPECT_TRUE(p1.document.is_published);
  EXPECT_EQ(p1.document.status, "published");
  EXPECT_EQ(p1.document.published_at, clock_.NowSeconds());
  EXPECT_EQ(p1.document.version, 1);
  EXPECT_EQ(RowStates(root), std::vector<std::string>{"1|1|1|published|0"});
  EXPECT_EQ(RootIds(PostQuery(Axis::kPublished)), std::vector<std::string>{root});

  clock_.AdvanceSeconds(10);
  Update(root, {{"title", "v2"}});
  clock_.AdvanceSeconds(10);
  auto p2 = Publish(root);
  EXPECT_TRUE(p2.changed);
  EXPECT_EQ(p2.document.version, 2);
  EXPECT_EQ(p2.document.published_at, clock_.NowSeconds());
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|0|archived|0", "2|1|1|published|0"}));
  EXPECT_EQ(
      raw().Int("SELECT count(*) FROM documents WHERE root_id = ?1 AND is_published = 1", {root}),
      1);
  auto pub = Must(store_->Get("default", root, Axis::kPublished));
  EXPECT_EQ(pub.version, 2);
  EXPECT_EQ(DataOf(pub)["title"], "v2");
  auto list = ListAll(*store_, PostQuery(Axis::kPublished));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["data"]["title"], "v2");
  EXPECT_EQ(list[0]["published_at"], clock_.NowSeconds());
}

TEST_F(WritesTest, PublishingWhatIsPublishedIsANoOp) {
  std::string root = Create({{"title", "v1"}});
  Publish(root);
  auto before = Snapshot();
  clock_.AdvanceSeconds(30);
  auto again = Publish(root);
  EXPECT_FALSE(again.changed);
  EXPECT_TRUE(again.document.is_published);
  EXPECT_EQ(again.document.version, 1);
  EXPECT_EQ(Snapshot(), before);

  // Also when the published row is an older version than the current draft? No: then the
  // draft is not published, and publishing it is a change.
  Update(root, {{"title", "v2"}});
  EXPECT_TRUE(Publish(root).changed);
}

TEST_F(WritesTest, UnpublishLeavesNonePublished) {
  std::string never = Create({{"title", "never"}});
  auto before = Snapshot();
  auto noop = Lifecycle(never, LifecycleAction::kUnpublish);
  EXPECT_FALSE(noop.changed);
  EXPECT_EQ(Snapshot(), before);

  std::string root = Create({{"title", "v1"}});
  Publish(root);
  Update(root, {{"title", "v2"}});
  auto un = Lifecycle(root, LifecycleAction::kUnpublish);
  EXPECT_TRUE(un.changed);
  EXPECT_FALSE(un.document.is_published);
  EXPECT_EQ(un.document.version, 2);
  EXPECT_EQ(
      raw().Int("SELECT count(*) FROM documents WHERE root_id = ?1 AND is_published = 1", {root}),
      0);
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|0|archived|0", "2|1|0|draft|0"}));
  EXPECT_TRUE(store_->Get("default", root, Axis::kPublished).status().IsNotFound());
  EXPECT_TRUE(RootIds(PostQuery(Axis::kPublished)).empty());
  EXPECT_TRUE(Contains(RootIds(PostQuery(Axis::kDraft)), root));

  auto snap = Snapshot();
  auto again = Lifecycle(root, LifecycleAction::kUnpublish);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(Snapshot(), snap);

  // Unpublishing a published current draft makes it a plain draft again.
  Publish(root);
  Lifecycle(root, LifecycleAction::kUnpublish);
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|0|archived|0", "2|1|0|draft|0"}));
}

TEST_F(WritesTest, DeleteHidesEverywhereAndRestoreBringsBack) {
  std::string root = Create({{"title", "v1"}, {"tags", {"t"}}});
  std::string other = Create({{"title", "other"}});
  Publish(root);
  Publish(other);
  Update(root, {{"title", "v2"}, {"tags", {"t"}}});
  clock_.AdvanceSeconds(3);

  auto del = Lifecycle(root, LifecycleAction::kDelete);
  EXPECT_TRUE(del.changed);
  EXPECT_EQ(
      raw().Int("SELECT count(*) FROM documents WHERE root_id = ?1 AND deleted_at IS NULL", {root}),
      0);
  EXPECT_EQ(raw().Int("SELECT count(*) FROM documents WHERE root_id = ?1", {root}), 2);
  EXPECT_TRUE(store_->Get("default", root, Axis::kPublished).status().IsNotFound());
  EXPECT_TRUE(store_->Get("default", root, Axis::kDraft).status().IsNotFound());
  for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
    auto ids = RootIds(PostQuery(axis));
    EXPECT_EQ(ids, std::vector<std::string>{other});
    Query q = PostQuery(axis);
    q.facets.push_back({"tags", "t"});
    EXPECT_TRUE(RootIds(q).empty());
  }
  // A deleted document takes no other write until it is restored.
  EXPECT_TRUE(store_->Update(UpdateOp{"default", root, "{}", {}}).status().IsNotFound());
  EXPECT_TRUE(store_->Patch(PatchOp{"default", root, "{}", {}}).status().IsNotFound());
  EXPECT_TRUE(
      store_->Apply(LifecycleOp{"default", root, LifecycleAction::kPublish}).status().IsNotFound());
  auto snap = Snapshot();
  EXPECT_FALSE(Lifecycle(root, LifecycleAction::kDelete).changed);
  EXPECT_EQ(Snapshot(), snap);

  auto restored = Lifecycle(root, LifecycleAction::kRestore);
  EXPECT_TRUE(restored.changed);
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kPublished)).version, 1);
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kDraft)).version, 2);
  EXPECT_TRUE(Contains(RootIds(PostQuery(Axis::kPublished)), root));
  EXPECT_TRUE(Contains(RootIds(PostQuery(Axis::kDraft)), root));
  EXPECT_EQ(RowStates(root), (std::vector<std::string>{"1|0|1|published|0", "2|1|0|draft|0"}));
  EXPECT_FALSE(Lifecycle(root, LifecycleAction::kRestore).changed);
}

TEST_F(WritesTest, PatchMergesOverTheCurrentDraft) {
  std::string root = Create(json::parse(R"({"a":1,"b":{"x":1,"y":2},"c":"keep"})"));
  Publish(root);
  Update(root, json::parse(R"({"a":2,"b":{"x":1,"y":2},"c":"keep","e":true})"));
  auto patched = Must(store_->Patch(
      PatchOp{"default", root, R"({"a":null,"b":{"y":null,"z":3},"d":[1,2],"e":null})", {}}));
  EXPECT_TRUE(patched.changed);
  EXPECT_EQ(patched.document.version, 3);
  EXPECT_TRUE(patched.document.is_current_draft);
  EXPECT_EQ(DataOf(patched.document), json::parse(R"({"b":{"x":1,"z":3},"c":"keep","d":[1,2]})"));
  EXPECT_EQ(DataOf(Must(store_->Get("default", root, Axis::kDraft))), DataOf(patched.document));
  // The published row is untouched by a patch.
  EXPECT_EQ(DataOf(Must(store_->Get("default", root, Axis::kPublished))),
            json::parse(R"({"a":1,"b":{"x":1,"y":2},"c":"keep"})"));
  // A non-object patch value replaces; arrays are not merged.
  auto replaced = Must(store_->Patch(PatchOp{"default", root, R"({"b":5,"d":[3]})", {}}));
  EXPECT_EQ(DataOf(replaced.document), json::parse(R"({"b":5,"c":"keep","d":[3]})"));
  EXPECT_EQ(replaced.document.version, 4);
  // An empty patch still writes a new version with the same data.
  auto empty = Must(store_->Patch(PatchOp{"default", root, "{}", {}}));
  EXPECT_EQ(DataOf(empty.document), DataOf(replaced.document));
  EXPECT_EQ(empty.document.version, 5);
}

TEST_F(WritesTest, VersionNumbersCountUpAndChain) {
  std::string root = Create({{"n", 1}});
  std::vector<std::string> ids = {root};
  for (int i = 2; i <= 6; ++i) {
    auto r = Update(root, {{"n", i}});
    EXPECT_EQ(r.document.version, i);
    ids.push_back(r.document.id);
    if (i == 4) Publish(root);
  }
  auto rows = raw().Rows(
      "SELECT version_number, id, coalesce(version_of_id, 'NULL'), is_current_draft FROM "
      "documents WHERE root_id = ?1 ORDER BY version_number",
      {root});
  ASSERT_EQ(rows.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(rows[i][0], std::to_string(i + 1));
    EXPECT_EQ(rows[i][1], ids[i]);
    EXPECT_EQ(rows[i][2], i == 0 ? "NULL" : ids[i - 1]);
    EXPECT_EQ(rows[i][3], i == 5 ? "1" : "0");
  }
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kPublished)).version, 4);
}

class PruneTest : public StoreTest {
 protected:
  StoreOptions MakeOptions() override {
    auto o = StoreTest::MakeOptions();
    o.keep_versions = keep_;
    return o;
  }
  void Reopen(int keep) {
    keep_ = keep;
    raw_.reset();
    store_.reset();
    ASSERT_NO_FATAL_FAILURE(OpenStore());
  }
  std::vector<std::string> Versions(const std::string& root) {
    return raw().Column(
        "SELECT version_number FROM documents WHERE root_id = ?1 ORDER BY version_number", {root});
  }
  int keep_ = 3;
};

TEST_F(PruneTest, PruningNeverTouchesPublishedOrCurrentDraft) {
  std::string root = Create({{"v", 1}, {"tags", {"a"}}});
  Publish(root);
  for (int v = 2; v <= 10; ++v)
    Update(root, {{"v", v}, {"tags", {"a"}}});
  // Keep the three newest (8, 9, 10) and the published v1.
  EXPECT_EQ(Versions(root), (std::vector<std::string>{"1", "8", "9", "10"}));
  EXPECT_EQ(DataOf(Must(store_->Get("default", root, Axis::kPublished)))["v"], 1);
  EXPECT_EQ(DataOf(Must(store_->Get("default", root, Axis::kDraft)))["v"], 10);
  // Only the published row and the current draft carry facet rows (SonicJS's projection).
  EXPECT_EQ(raw().Int("SELECT count(*) FROM document_facets WHERE root_id = ?1", {root}), 2);
  EXPECT_EQ(raw().Int("SELECT count(*) FROM document_facets f WHERE NOT EXISTS "
                      "(SELECT 1 FROM documents d WHERE d.id = f.document_id)"),
            0);
  // Publishing v10 archives v1, which is then old enough to go.
  Publish(root);
  EXPECT_EQ(Versions(root), (std::vector<std::string>{"8", "9", "10"}));
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kPublished)).version, 10);
  // Version numbers keep counting after pruning.
  EXPECT_EQ(Update(root, {{"v", 11}}).document.version, 11);
  EXPECT_EQ(Versions(root), (std::vector<std::string>{"9", "10", "11"}));
}

TEST_F(PruneTest, KeepOneStillKeepsPublishedAndDraft) {
  Reopen(1);
  std::string root = Create({{"v", 1}});
  Publish(root);
  Update(root, {{"v", 2}});
  EXPECT_EQ(Versions(root), (std::vector<std::string>{"1", "2"}));
  Update(root, {{"v", 3}});
  EXPECT_EQ(Versions(root), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kPublished)).version, 1);
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kDraft)).version, 3);
}

TEST_F(PruneTest, KeepZeroKeepsEverything) {
  Reopen(0);
  std::string root = Create({{"v", 1}});
  for (int v = 2; v <= 15; ++v)
    Update(root, {{"v", v}});
  Publish(root);
  EXPECT_EQ(Versions(root).size(), 15u);
}

TEST_F(WritesTest, SlugConflictIsRefusedNamingTheSlugAndWritesNothing) {
  std::string a = Create({{"t", "a"}}, "default", Fields().Slug("hello-world"));
  std::string b = Create({{"t", "b"}}, "default", Fields().Slug("other"));
  auto before = Snapshot();

  auto dup =
      store_->Create(CreateOp{"default", "post", R"({"t":"c"})", Fields().Slug("hello-world")});
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(dup.status().IsConflict()) << dup.status().ToString();
  EXPECT_NE(dup.status().message().find("hello-world"), std::string::npos)
      << dup.status().message();
  EXPECT_EQ(Snapshot(), before);

  auto upd = store_->Update(UpdateOp{"default", b, R"({"t":"b2"})", Fields().Slug("hello-world")});
  ASSERT_FALSE(upd.ok());
  EXPECT_TRUE(upd.status().IsConflict()) << upd.status().ToString();
  EXPECT_NE(upd.status().message().find("hello-world"), std::string::npos);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Must(store_->Get("default", b, Axis::kDraft)).version, 1);

  auto patch = store_->Patch(PatchOp{"default", b, R"({"t":"b3"})", Fields().Slug("hello-world")});
  EXPECT_TRUE(patch.status().IsConflict()) << patch.status().ToString();
  EXPECT_EQ(Snapshot(), before);

  // The same slug is fine in another tenant, locale or type.
  FOLIO_EXPECT_OK(store_->Create(CreateOp{"other", "post", "{}", Fields().Slug("hello-world")}));
  FOLIO_EXPECT_OK(
      store_->Create(CreateOp{"default", "post", "{}", Fields().Slug("hello-world").Locale("fr")}));
  // A document keeps its own slug across versions.
  Update(a, {{"t", "a2"}});
  EXPECT_EQ(Must(store_->Get("default", a, Axis::kDraft)).slug, "hello-world");

  // A deleted document frees its slug; restoring it while another holds the slug is refused.
  Lifecycle(a, LifecycleAction::kDelete);
  std::string c = Create({{"t", "c"}}, "default", Fields().Slug("hello-world"));
  auto snap = Snapshot();
  auto restore = store_->Apply(LifecycleOp{"default", a, LifecycleAction::kRestore});
  ASSERT_FALSE(restore.ok());
  EXPECT_TRUE(restore.status().IsConflict()) << restore.status().ToString();
  EXPECT_NE(restore.status().message().find("hello-world"), std::string::npos);
  EXPECT_EQ(Snapshot(), snap);
  EXPECT_TRUE(store_->Get("default", a, Axis::kDraft).status().IsNotFound());
  (void)c;
}

TEST_F(WritesTest, PartialUniqueIndexesHoldAgainstRawSql) {
  std::string root = Create({{"t", 1}}, "default", Fields().Slug("taken"));
  Publish(root);
  Update(root, {{"t", 2}});  // v1 published, v2 current draft
  const std::string insert =
      "INSERT INTO documents(id, root_id, type_id, version_number, is_current_draft, "
      "is_published, status, slug, tenant_id, locale, data, created_at, updated_at) "
      "VALUES (?1, ?2, 'post', ?3, ?4, ?5, 'draft', ?6, 'default', 'default', '{}', 0, 0)";
  auto try_insert = [&](const std::string& id, const std::string& r, const std::string& version,
                        const std::string& current, const std::string& published,
                        const std::optional<std::string>& slug) {
    std::string err;
    std::string sql = insert;
    std::vector<std::string> params = {id, r, version, current, published};
    if (slug) {
      params.push_back(*slug);
    } else {
      sql.replace(sql.find("?6"), 2, "NULL");
    }
    int rc = raw().Exec(sql, params, &err);
    return std::make_pair(rc, err);
  };

  auto second_draft = try_insert("x1", root, "7", "1", "0", std::nullopt);
  EXPECT_EQ(second_draft.first & 0xff, SQLITE_CONSTRAINT) << second_draft.second;
  auto second_published = try_insert("x2", root, "8", "0", "1", std::nullopt);
  EXPECT_EQ(second_published.first & 0xff, SQLITE_CONSTRAINT) << second_published.second;
  auto same_version = try_insert("x3", root, "2", "0", "0", std::nullopt);
  EXPECT_EQ(same_version.first & 0xff, SQLITE_CONSTRAINT) << same_version.second;
  auto same_slug = try_insert("x4", "other-root", "1", "1", "0", std::string("taken"));
  EXPECT_EQ(same_slug.first & 0xff, SQLITE_CONSTRAINT) << same_slug.second;
  // Rows that break no rule go in: the refusals above were for the rule, not the SQL.
  auto archived = try_insert("x5", root, "9", "0", "0", std::string("taken"));
  EXPECT_EQ(archived.first, SQLITE_OK) << archived.second;
  auto other_draft = try_insert("x6", "other-root", "1", "1", "0", std::string("free"));
  EXPECT_EQ(other_draft.first, SQLITE_OK) << other_draft.second;
  // Non-object data is refused by the schema too.
  std::string err;
  EXPECT_NE(raw().Exec("UPDATE documents SET data = '[1]' WHERE id = ?1", {root}, &err), SQLITE_OK);
  EXPECT_EQ(raw().Int("SELECT count(*) FROM documents WHERE root_id = ?1 AND is_current_draft = 1",
                      {root}),
            1);
  EXPECT_EQ(
      raw().Int("SELECT count(*) FROM documents WHERE root_id = ?1 AND is_published = 1", {root}),
      1);
}

TEST_F(WritesTest, FacetsBelongToTheVersionThatCarriesThem) {
  std::string root = Create({{"tags", {"red", "blue"}}});
  std::string v1 = root;
  Publish(root);
  auto v2 = Update(root, {{"tags", {"green"}}}).document.id;

  auto facets_of = [&](const std::string& id) {
    return raw().Column(
        "SELECT value_text FROM document_facets WHERE document_id = ?1 AND field_name = 'tags' "
        "ORDER BY ordinal",
        {id});
  };
  EXPECT_EQ(facets_of(v1), (std::vector<std::string>{"red", "blue"}));
  EXPECT_EQ(facets_of(v2), (std::vector<std::string>{"green"}));
  EXPECT_EQ(raw().Column("SELECT DISTINCT root_id || '|' || type_id || '|' || tenant_id FROM "
                         "document_facets"),
            std::vector<std::string>{root + "|post|default"});

  auto with_tag = [&](Axis axis, const std::string& tag) {
    Query q = PostQuery(axis);
    q.facets.push_back({"tags", tag});
    return RootIds(q);
  };
  const std::vector<std::string> hit = {root};
  EXPECT_TRUE(with_tag(Axis::kDraft, "red").empty());
  EXPECT_TRUE(with_tag(Axis::kDraft, "blue").empty());
  EXPECT_EQ(with_tag(Axis::kDraft, "green"), hit);
  EXPECT_EQ(with_tag(Axis::kPublished, "red"), hit);
  EXPECT_EQ(with_tag(Axis::kPublished, "blue"), hit);
  EXPECT_TRUE(with_tag(Axis::kPublished, "green").empty());

  // Two facet filters are a conjunction.
  Query both = PostQuery(Axis::kPublished);
  both.facets = {{"tags", "red"}, {"tags", "blue"}};
  EXPECT_EQ(RootIds(both), hit);
  both.facets = {{"tags", "red"}, {"tags", "green"}};
  EXPECT_TRUE(RootIds(both).empty());

  // Publishing v2 moves the published listing to v2's tags.
  Publish(root);
  EXPECT_TRUE(with_tag(Axis::kPublished, "red").empty());
  EXPECT_EQ(with_tag(Axis::kPublished, "green"), hit);
  // A patch carries the facets of the merged data.
  Must(store_->Patch(PatchOp{"default", root, R"({"other":1})", {}}));
  EXPECT_EQ(with_tag(Axis::kDraft, "green"), hit);
  Must(store_->Patch(PatchOp{"default", root, R"({"tags":null})", {}}));
  EXPECT_TRUE(with_tag(Axis::kDraft, "green").empty());
  // A scalar facet value counts as a one-element list; numbers match their text.
  Update(root, {{"tags", "solo"}});
  EXPECT_EQ(with_tag(Axis::kDraft, "solo"), hit);
  Update(root, {{"tags", {7, "x"}}});
  EXPECT_EQ(with_tag(Axis::kDraft, "7"), hit);
}

TEST_F(WritesTest, TenantsCannotReadOrChangeEachOthersDocuments) {
  std::string root = Create({{"title", "secret"}, {"tags", {"t"}}}, "tenant-a");
  Publish(root, "tenant-a");
  Update(root, {{"title", "secret v2"}}, "tenant-a");
  FOLIO_ASSERT_OK(store_->SetPermissions("tenant-a", root,
                                         {PermissionRule{"role", "editor", "read", "allow"}}));
  auto before = Snapshot();

  for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
    EXPECT_TRUE(store_->Get("tenant-b", root, axis).status().IsNotFound());
    EXPECT_TRUE(RootIds(PostQuery(axis, "tenant-b")).empty());
  }
  auto expect_not_found = [&](const Status& s, const char* what) {
    EXPECT_TRUE(s.IsNotFound()) << what << ": " << s.ToString();
    EXPECT_EQ(s.message().find("secret"), std::string::npos) << "leaks data: " << s.message();
  };
  expect_not_found(store_->Update(UpdateOp{"tenant-b", root, "{}", {}}).status(), "update");
  expect_not_found(store_->Patch(PatchOp{"tenant-b", root, "{}", {}}).status(), "patch");
  for (auto action : {LifecycleAction::kPublish, LifecycleAction::kUnpublish,
                      LifecycleAction::kDelete, LifecycleAction::kRestore}) {
    expect_not_found(store_->Apply(LifecycleOp{"tenant-b", root, action}).status(), "lifecycle");
  }
  expect_not_found(store_->SetPermissions("tenant-b", root, {}), "set permissions");
  expect_not_found(store_->GetPermissions("tenant-b", root).status(), "get permissions");
  EXPECT_EQ(Snapshot(), before);
  // Also inside a batch.
  auto batch = store_->ApplyBatch({CreateOp{"tenant-b", "post", "{}", {}},
                                   LifecycleOp{"tenant-b", root, LifecycleAction::kDelete}});
  EXPECT_TRUE(batch.status().IsNotFound()) << batch.status().ToString();
  EXPECT_EQ(Snapshot(), before);

  // Tenant A still sees it all.
  Principal editor;
  editor.roles = {"editor"};
  EXPECT_EQ(Must(store_->Get("tenant-a", root, Axis::kPublished, editor)).version, 1);
  Query q = PostQuery(Axis::kDraft, "tenant-a");
  q.principal = editor;
  EXPECT_EQ(RootIds(q), std::vector<std::string>{root});
  EXPECT_EQ(Must(store_->GetPermissions("tenant-a", root)).size(), 1u);
}

TEST_F(WritesTest, BatchIsAllOrNothing) {
  std::string existing = Create({{"title", "existing"}});
  auto before = Snapshot();
  std::vector<WriteOp> ops = {
      CreateOp{"default", "post", R"({"title":"first"})", Fields().Slug("first")},
      LifecycleOp{"default", existing, LifecycleAction::kPublish},
      UpdateOp{"default", "no-such-root", R"({"title":"x"})", {}},
      CreateOp{"default", "post", R"({"title":"fourth"})", {}},
  };
  auto r = store_->ApplyBatch(ops);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("batch operation 2"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("no-such-root"), std::string::npos);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_TRUE(store_->Get("default", existing, Axis::kPublished).status().IsNotFound());

  // A failure of another kind (bad data) in third place rolls back just the same.
  ops[2] = CreateOp{"default", "post", "not json", {}};
  r = store_->ApplyBatch(ops);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(Snapshot(), before);
  // …and a constraint failure (a slug taken earlier in the same batch).
  ops[2] = CreateOp{"default", "post", "{}", Fields().Slug("first")};
  r = store_->ApplyBatch(ops);
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_EQ(Snapshot(), before);

  // The slug is free again, and the store still writes after the failed batches.
  ops.erase(ops.begin() + 2);
  auto ok = Must(store_->ApplyBatch(ops));
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(ok[0].document.slug, "first");
  EXPECT_TRUE(ok[1].document.is_published);
  EXPECT_EQ(RootIds(PostQuery(Axis::kPublished)), std::vector<std::string>{existing});
  EXPECT_EQ(RootIds(PostQuery(Axis::kDraft)).size(), 3u);
  EXPECT_TRUE(Must(store_->ApplyBatch({})).empty());
}

}  // namespace
}  // namespace folio::storage::testing
