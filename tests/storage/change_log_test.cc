// The change log (migration 0007, DocumentStore::ReadChanges): every kind of write, by folio
// or by another program, logs the roots it changed with the axes it can reach, in the writing
// transaction; positions survive only in their own timeline; the log is pruned to its newest
// kChangeLogRetained rows.
#include <gtest/gtest.h>

#include <set>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

// A change as "tenant|type|root|axes", axes "P-", "-D" or "PD".
std::string Describe(const Change& c) {
  return c.tenant + "|" + c.type + "|" + c.root_id + "|" + (c.published ? "P" : "-") +
         (c.draft ? "D" : "-");
}

class ChangeLogTest : public StoreTest {
 protected:
  // What `write` logged, in order, each change described.
  template <typename Fn>
  std::vector<std::string> Logged(Fn write) {
    const LogPosition from = Must(store_->ChangeLogHead());
    write();
    auto batch = Must(store_->ReadChanges(from, 100000));
    EXPECT_TRUE(batch.continuous);
    std::vector<std::string> out;
    for (const Change& c : batch.changes) {
      EXPECT_GT(c.position.seq, from.seq);
      out.push_back(Describe(c));
    }
    if (!batch.changes.empty()) {
      EXPECT_EQ(batch.changes.back().position, batch.head);
    }
    return out;
  }
  // The same, each distinct change once.
  template <typename Fn>
  std::set<std::string> Kinds(Fn write) {
    auto logged = Logged(write);
    return {logged.begin(), logged.end()};
  }

  std::string Post(const std::string& root, const char* axes, const std::string& tenant = "default",
                   const std::string& type = "post") {
    return tenant + "|" + type + "|" + root + "|" + axes;
  }

  void RegisterPage() {
    TypeDefinition page;
    page.id = "page";
    page.fields = {{"views", FieldKind::kInteger}};
    Must(store_->RegisterType(page));
  }
};

TEST_F(ChangeLogTest, TheLogStartsWithAGenesisRowAtARandomPosition) {
  const LogPosition head = Must(store_->ChangeLogHead());
  EXPECT_EQ(head.seq, 1);  // registering a type logs nothing
  EXPECT_EQ(raw().Rows("SELECT tenant_id, type_id, root_id, axes FROM folio_changes"),
            (std::vector<std::vector<std::string>>{{"", "", "", "0"}}));
  // The genesis row is a position, not a change. The default position is the start of the
  // log; a made-up one is in no timeline.
  auto batch = Must(store_->ReadChanges(LogPosition{}, 10));
  EXPECT_TRUE(batch.continuous);
  EXPECT_TRUE(batch.changes.empty());
  EXPECT_EQ(batch.head, head);
  batch = Must(store_->ReadChanges(head, 10));
  EXPECT_TRUE(batch.continuous);
  EXPECT_TRUE(batch.changes.empty());
  EXPECT_FALSE(Must(store_->ReadChanges(LogPosition{0, 5}, 10)).continuous);
  EXPECT_FALSE(Must(store_->ReadChanges(LogPosition{head.seq + 1, 0}, 10)).continuous);
  // Another database starts elsewhere.
  StoreOptions options = MakeOptions();
  options.path = (dir_.path() / "second.sqlite").string();
  auto second = Must(DocumentStore::Open(options));
  EXPECT_NE(Must(second->ChangeLogHead()), head);
}

TEST_F(ChangeLogTest, CreatingADraftLogsItsRowAndItsFacetsOnTheDraftAxis) {
  std::string root;
  auto logged = Logged([&] { root = Create({{"views", 1}, {"tags", {"x", "y"}}}); });
  EXPECT_EQ(logged,
            (std::vector<std::string>{Post(root, "-D"), Post(root, "-D"), Post(root, "-D")}));
  const std::string other = Create({{"views", 1}}, "t2");
  EXPECT_EQ(Logged([&] { Create({{"views", 2}}, "t2"); }).size(), 1u);
  EXPECT_EQ(Kinds([&] {
              Update(other, {{"views", 3}}, "t2");
            }),
            (std::set<std::string>{Post(other, "-D", "t2")}));
}

TEST_F(ChangeLogTest, SavingADraftOfAPublishedDocumentReachesOnlyTheDraftAxis) {
  const std::string root = Create({{"views", 1}, {"tags", {"x"}}});
  EXPECT_EQ(Kinds([&] { Publish(root); }), (std::set<std::string>{Post(root, "PD")}));
  // The published row stops being the current draft (draft axis); the new version and its
  // facets are drafts.
  EXPECT_EQ(Kinds([&] {
              Update(root, {{"views", 2}, {"tags", {"y"}}});
            }),
            (std::set<std::string>{Post(root, "-D")}));
  EXPECT_EQ(Kinds([&] {
              Must(store_->Patch(PatchOp{"default", root, R"({"views":3})", {}}));
            }),
            (std::set<std::string>{Post(root, "-D")}));
  // Publishing the draft retires the published row (published axis only: it is not the
  // current draft) and publishes the draft (both).
  EXPECT_EQ(Logged([&] { Publish(root); }),
            (std::vector<std::string>{Post(root, "P-"), Post(root, "PD")}));
  // Publishing what is published changes nothing and logs nothing.
  EXPECT_TRUE(Logged([&] { Publish(root); }).empty());
}

TEST_F(ChangeLogTest, UnpublishDeleteAndRestoreLogTheAxesOfTheRowsTheyChange) {
  const std::string root = Create({{"views", 1}});
  Publish(root);
  EXPECT_EQ(Logged([&] { Lifecycle(root, LifecycleAction::kUnpublish); }),
            (std::vector<std::string>{Post(root, "PD")}));
  Publish(root);
  Update(root, {{"views", 2}});  // version 1 published, version 2 the current draft
  EXPECT_EQ(Kinds([&] { Lifecycle(root, LifecycleAction::kDelete); }),
            (std::set<std::string>{Post(root, "P-"), Post(root, "-D")}));
  EXPECT_EQ(Kinds([&] { Lifecycle(root, LifecycleAction::kRestore); }),
            (std::set<std::string>{Post(root, "P-"), Post(root, "-D")}));
}

TEST_F(ChangeLogTest, PermissionRulesLogBothAxesOfTheirRoot) {
  const std::string root = Create({{"views", 1}});
  EXPECT_EQ(Logged([&] {
              Must(store_->SetPermissions(
                  "default", root,
                  {{"role", "editor", "read", "allow"}, {"public", "", "read", "deny"}}));
            }),
            (std::vector<std::string>{Post(root, "PD"), Post(root, "PD")}));
  // Replacing them deletes the two and inserts one.
  EXPECT_EQ(Logged([&] {
              Must(store_->SetPermissions("default", root, {{"user", "u1", "read", "allow"}}));
            }).size(),
            3u);
  // Another program's rule update logs both axes too; a rule on a root without documents
  // reaches no listing and logs nothing.
  EXPECT_EQ(Kinds([&] {
              ASSERT_EQ(raw().Exec("UPDATE document_permissions SET effect = 'deny' WHERE "
                                   "root_id = ?1",
                                   {root}),
                        SQLITE_OK);
            }),
            (std::set<std::string>{Post(root, "PD")}));
  EXPECT_TRUE(Logged([&] {
                ASSERT_EQ(raw().Exec("INSERT INTO document_permissions(id, tenant_id, root_id, "
                                     "principal_type, permission, created_at) VALUES "
                                     "('p-x', 'default', 'no-such-root', 'public', 'read', 0)"),
                          SQLITE_OK);
              }).empty());
}

TEST_F(ChangeLogTest, FacetRowsLogTheAxesOfTheirDocument) {
  const std::string root = Create({{"views", 1}});
  Publish(root);
  Update(root, {{"views", 2}});  // version 1 published only, version 2 the current draft
  const std::string published_id =
      raw().Column("SELECT id FROM documents WHERE root_id = ?1 AND is_published = 1", {root})[0];
  auto facet_sql = [&](const std::string& statement) {
    return Kinds([&] { ASSERT_EQ(raw().Exec(statement, {published_id}), SQLITE_OK) << statement; });
  };
  EXPECT_EQ(facet_sql("INSERT INTO document_facets(id, tenant_id, document_id, root_id, type_id, "
                      "field_name, value_text, created_at) SELECT 'f-ext', tenant_id, id, "
                      "root_id, type_id, 'tags', 'ext', 0 FROM documents WHERE id = ?1"),
            (std::set<std::string>{Post(root, "P-")}));
  EXPECT_EQ(facet_sql("UPDATE document_facets SET value_text = 'ext2' WHERE document_id = ?1"),
            (std::set<std::string>{Post(root, "P-")}));
  EXPECT_EQ(facet_sql("DELETE FROM document_facets WHERE document_id = ?1"),
            (std::set<std::string>{Post(root, "P-")}));
  // A facet row whose names disagree with its document's logs under both: a listing finds
  // facets by document id alone.
  EXPECT_EQ(facet_sql("INSERT INTO document_facets(id, tenant_id, document_id, root_id, type_id, "
                      "field_name, value_text, created_at) VALUES ('f-odd', 'elsewhere', ?1, "
                      "'odd-root', 'post', 'tags', 'ext', 0)"),
            (std::set<std::string>{Post(root, "P-"), Post("odd-root", "P-", "elsewhere")}));
}

TEST_F(ChangeLogTest, AnotherProgramsUpdateOfDataIsLogged) {
  const std::string root = Create({{"views", 1}});
  Publish(root);
  Update(root, {{"views", 2}});
  // A connection of its own, as the sqlite3 shell or a Node app would have.
  RawDb other(db_path());
  auto sql = [&](const std::string& statement) {
    return Kinds([&] { ASSERT_EQ(other.Exec(statement, {root}), SQLITE_OK) << statement; });
  };
  EXPECT_EQ(sql("UPDATE documents SET data = '{\"views\":9}' WHERE root_id = ?1 AND "
                "is_published = 1"),
            (std::set<std::string>{Post(root, "P-")}));
  EXPECT_EQ(sql("UPDATE documents SET data = '{\"views\":8}' WHERE root_id = ?1 AND "
                "is_current_draft = 1"),
            (std::set<std::string>{Post(root, "-D")}));
  // As with 0005's generations: setting only is_current_draft on the published row (which is
  // not the current draft) reaches no axis; version_of_id reaches none either.
  EXPECT_TRUE(sql("UPDATE documents SET is_current_draft = is_current_draft WHERE root_id = ?1 "
                  "AND is_published = 1")
                  .empty());
  EXPECT_TRUE(sql("UPDATE documents SET version_of_id = NULL WHERE root_id = ?1").empty());
}

TEST_F(ChangeLogTest, ATypeOrTenantChangeLogsTheRowUnderBothNames) {
  RegisterPage();
  const std::string root = Create({{"views", 1}});
  Publish(root);
  EXPECT_EQ(Logged([&] {
              ASSERT_EQ(
                  raw().Exec("UPDATE documents SET type_id = 'page' WHERE root_id = ?1", {root}),
                  SQLITE_OK);
            }),
            (std::vector<std::string>{Post(root, "PD"), Post(root, "PD", "default", "page")}));
  EXPECT_EQ(Logged([&] {
              ASSERT_EQ(
                  raw().Exec("UPDATE documents SET tenant_id = 't9' WHERE root_id = ?1", {root}),
                  SQLITE_OK);
            }),
            (std::vector<std::string>{Post(root, "PD", "default", "page"),
                                      Post(root, "PD", "t9", "page")}));
}

TEST_F(ChangeLogTest, RowsOnNeitherAxisLogNothing) {
  const std::string root = Create({{"views", 0}});
  Publish(root);
  for (int v = 1; v <= 3; ++v)
    Update(root, {{"views", v}});
  ASSERT_EQ(RowStates(root)[1], "2|0|0|draft|0");
  EXPECT_TRUE(Logged([&] {
                ASSERT_EQ(raw().Exec("DELETE FROM documents WHERE root_id = ?1 AND "
                                     "version_number = 2",
                                     {root}),
                          SQLITE_OK);
              }).empty());
  EXPECT_TRUE(Logged([&] {
                ASSERT_EQ(raw().Exec("UPDATE documents SET title = 'old' WHERE root_id = ?1 AND "
                                     "version_number = 3",
                                     {root}),
                          SQLITE_OK);
              }).empty());
}

TEST_F(ChangeLogTest, ARefusedWriteLogsNothing) {
  const std::string root = Create({{"views", 1}}, "default", Fields().Slug("taken"));
  EXPECT_TRUE(Logged([&] {
                auto r = store_->Create(CreateOp{"default", "post", "{}", Fields().Slug("taken")});
                EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
                auto batch = store_->ApplyBatch(
                    {UpdateOp{"default", root, R"({"views":2})", {}},
                     LifecycleOp{"default", "no-such-root", LifecycleAction::kPublish}});
                EXPECT_TRUE(batch.status().IsNotFound()) << batch.status().ToString();
              }).empty());
}

TEST_F(ChangeLogTest, ReadChangesPagesThroughTheLogInOrder) {
  const LogPosition start = Must(store_->ChangeLogHead());
  std::vector<std::string> roots;
  for (int i = 0; i < 5; ++i)
    roots.push_back(Create({{"views", i}}));
  auto first = Must(store_->ReadChanges(start, 2));
  ASSERT_TRUE(first.continuous);
  ASSERT_EQ(first.changes.size(), 2u);
  EXPECT_EQ(first.changes[0].root_id, roots[0]);
  EXPECT_EQ(first.changes[1].root_id, roots[1]);
  EXPECT_EQ(first.head.seq, start.seq + 5);
  auto rest = Must(store_->ReadChanges(first.changes.back().position, 100));
  ASSERT_TRUE(rest.continuous);
  ASSERT_EQ(rest.changes.size(), 3u);
  EXPECT_EQ(rest.changes[2].root_id, roots[4]);
  EXPECT_EQ(rest.changes[2].position, rest.head);
  for (size_t i = 1; i < rest.changes.size(); ++i) {
    EXPECT_EQ(rest.changes[i].position.seq, rest.changes[i - 1].position.seq + 1);
  }
  auto none = Must(store_->ReadChanges(rest.head, 100));
  EXPECT_TRUE(none.continuous);
  EXPECT_TRUE(none.changes.empty());
  // A position whose salt is wrong is not in the log.
  auto forged = Must(store_->ReadChanges(LogPosition{rest.head.seq, rest.head.salt ^ 1}, 100));
  EXPECT_FALSE(forged.continuous);
  EXPECT_TRUE(forged.changes.empty());
  // A limit of 0 still answers continuity and head.
  auto zero = Must(store_->ReadChanges(start, 0));
  EXPECT_TRUE(zero.continuous);
  EXPECT_TRUE(zero.changes.empty());
  EXPECT_EQ(zero.head, rest.head);
}

TEST_F(ChangeLogTest, ReadsCarryTheHeadOfTheirSnapshot) {
  const std::string root = Create({{"views", 1}});
  Publish(root);
  LogPosition read_at;
  Must(store_->Get("default", root, Axis::kPublished, {}, &read_at));
  EXPECT_EQ(read_at, Must(store_->ChangeLogHead()));
  auto page = Must(store_->List(PostQuery()));
  ASSERT_NE(page.dependency, nullptr);
  EXPECT_EQ(page.dependency->read_at(), read_at);
  Update(root, {{"views", 2}});
  Must(store_->Get("default", root, Axis::kDraft, {}, &read_at));
  EXPECT_EQ(read_at, Must(store_->ChangeLogHead()));
  EXPECT_NE(read_at, page.dependency->read_at());
  // NotFound leaves it alone.
  LogPosition untouched{7, 7};
  EXPECT_TRUE(store_->Get("default", "nope", Axis::kDraft, {}, &untouched).status().IsNotFound());
  EXPECT_EQ(untouched, (LogPosition{7, 7}));
}

// A position pruned away is no longer in the log: its reader learns that nothing tells it
// what changed since.
TEST_F(ChangeLogTest, TheLogIsPrunedToItsRetainedRows) {
  const LogPosition genesis = Must(store_->ChangeLogHead());
  ASSERT_EQ(raw().Exec("BEGIN"), SQLITE_OK);
  ASSERT_EQ(raw().Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
                       "i < 70000) INSERT INTO folio_changes(salt, tenant_id, type_id, root_id, "
                       "axes) SELECT random(), 'default', 'post', 'r' || i, 1 FROM n"),
            SQLITE_OK);
  ASSERT_EQ(raw().Exec("COMMIT"), SQLITE_OK);
  const LogPosition head = Must(store_->ChangeLogHead());
  EXPECT_EQ(head.seq, genesis.seq + 70000);
  const int64_t rows = raw().Int("SELECT count(*) FROM folio_changes");
  EXPECT_GE(rows, kChangeLogRetained);
  EXPECT_LT(rows, kChangeLogRetained + 256);
  auto batch = Must(store_->ReadChanges(genesis, 10));
  EXPECT_FALSE(batch.continuous);
  EXPECT_TRUE(batch.changes.empty());
  EXPECT_EQ(batch.head, head);
  // From the start of the log, a reader gets the oldest retained rows.
  batch = Must(store_->ReadChanges(LogPosition{}, 10));
  EXPECT_TRUE(batch.continuous);
  ASSERT_EQ(batch.changes.size(), 10u);
  EXPECT_EQ(batch.changes[0].position.seq, raw().Int("SELECT min(seq) FROM folio_changes"));

  // Right after a prune (a seq that is a multiple of 256) exactly kChangeLogRetained rows are
  // left, the newest: the SQL constant and changes.h's agree.
  while (Must(store_->ChangeLogHead()).seq % 256 != 0)
    Create({{"views", 1}});
  const LogPosition pruned_at = Must(store_->ChangeLogHead());
  EXPECT_EQ(raw().Int("SELECT count(*) FROM folio_changes"), kChangeLogRetained);
  EXPECT_EQ(raw().Int("SELECT min(seq) FROM folio_changes"),
            pruned_at.seq - kChangeLogRetained + 1);
  // The oldest retained row is still a valid position; the one before it is gone.
  const int64_t oldest = pruned_at.seq - kChangeLogRetained + 1;
  const int64_t oldest_salt =
      raw().Int("SELECT salt FROM folio_changes WHERE seq = ?1", {std::to_string(oldest)});
  EXPECT_TRUE(Must(store_->ReadChanges(LogPosition{oldest, oldest_salt}, 1)).continuous);
}

// After the database went back in time, the seqs of the lost timeline come back with other
// salts: a reader positioned in the lost timeline is told the log is not continuous, while a
// position from before the divergence still is.
TEST_F(ChangeLogTest, APositionOfALostTimelineIsNotContinuous) {
  const std::string root = Create({{"views", 1}});
  const LogPosition before_backup = Must(store_->ChangeLogHead());
  const std::string backup = (dir_.path() / "backup.sqlite").string();
  ASSERT_NO_FATAL_FAILURE(BackupTo(backup));

  for (int i = 0; i < 3; ++i)
    Update(root, {{"views", 10 + i}});
  const LogPosition lost = Must(store_->ChangeLogHead());
  ASSERT_GT(lost.seq, before_backup.seq);
  EXPECT_TRUE(Must(store_->ReadChanges(before_backup, 100)).continuous);

  ASSERT_NO_FATAL_FAILURE(RestoreFrom(backup));
  // The lost position's seq is simply missing now…
  EXPECT_FALSE(Must(store_->ReadChanges(lost, 100)).continuous);
  // … and once the same writes are made again, it is back with another salt.
  for (int i = 0; i < 3; ++i)
    Update(root, {{"views", 20 + i}});
  const LogPosition again = Must(store_->ChangeLogHead());
  ASSERT_EQ(again.seq, lost.seq);
  EXPECT_NE(again.salt, lost.salt);
  auto batch = Must(store_->ReadChanges(lost, 100));
  EXPECT_FALSE(batch.continuous);
  EXPECT_TRUE(batch.changes.empty());
  EXPECT_EQ(batch.head, again);
  auto kept = Must(store_->ReadChanges(before_backup, 100));
  EXPECT_TRUE(kept.continuous);
  EXPECT_EQ(kept.changes.back().position, again);
}

TEST_F(ChangeLogTest, ReadCatchUpReadsChangesGenerationsAndRootsFromOneSnapshot) {
  const std::string a = Create({{"views", 1}});
  const LogPosition from = Must(store_->ChangeLogHead());
  Publish(a);
  const std::string b = Create({{"views", 2}}, "t2");
  Update(a, {{"views", 3}});

  // Only the changes, when nothing else is asked.
  auto bare = Must(store_->ReadCatchUp(from, 100, CatchUpParts{}));
  EXPECT_TRUE(bare.generations.empty());
  EXPECT_TRUE(bare.roots.empty());
  auto changes = Must(store_->ReadChanges(from, 100));
  ASSERT_EQ(bare.changes.changes.size(), changes.changes.size());
  EXPECT_EQ(bare.changes.head, changes.head);

  CatchUpParts all;
  all.generations = true;
  all.roots = true;
  auto read = Must(store_->ReadCatchUp(from, 100, all));
  EXPECT_TRUE(read.changes.continuous);
  EXPECT_EQ(read.changes.head, Must(store_->ChangeLogHead()));
  auto generations = Must(store_->ListGenerations());
  ASSERT_EQ(read.generations.size(), generations.size());
  // Each root the changes name, once, in the order of its first change, as it stands now.
  ASSERT_EQ(read.roots.size(), 2u);
  EXPECT_EQ(read.roots[0].tenant, "default");
  EXPECT_EQ(read.roots[0].root_id, a);
  EXPECT_EQ(read.roots[1].tenant, "t2");
  EXPECT_EQ(read.roots[1].root_id, b);
  auto loaded = Must(store_->LoadRoots({{"default", a}, {"t2", b}}));
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(read.roots[i].published.present, loaded[i].published.present);
    EXPECT_EQ(read.roots[i].draft.present, loaded[i].draft.present);
    EXPECT_EQ(read.roots[i].draft.id, loaded[i].draft.id);
    EXPECT_EQ(read.roots[i].published.id, loaded[i].published.id);
  }
  EXPECT_TRUE(read.roots[0].published.present);  // a: published, then a newer draft
  EXPECT_NE(read.roots[0].draft.id, read.roots[0].published.id);

  // A batch cut by the limit loads the roots of the changes it returns only.
  auto first = Must(store_->ReadCatchUp(from, 1, all));
  ASSERT_EQ(first.changes.changes.size(), 1u);
  ASSERT_EQ(first.roots.size(), 1u);
  EXPECT_EQ(first.roots[0].root_id, first.changes.changes[0].root_id);

  // A position of no timeline: not continuous, no changes, no roots.
  auto lost = Must(store_->ReadCatchUp(LogPosition{from.seq, from.salt + 1}, 100, all));
  EXPECT_FALSE(lost.changes.continuous);
  EXPECT_TRUE(lost.roots.empty());
}

}  // namespace
}  // namespace folio::storage::testing
