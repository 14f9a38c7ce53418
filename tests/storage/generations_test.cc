// The invalidation generations the triggers keep (migration 0005): every change that can reach
// a listing of an axis moves that axis's generation of its (tenant, type), in the writing
// transaction, whoever writes; a change that cannot reach it leaves it alone.
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

struct Moved {
  bool published;
  bool draft;
  bool operator==(const Moved&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Moved& m) {
  return os << "{published " << (m.published ? "moved" : "kept") << ", draft "
            << (m.draft ? "moved" : "kept") << "}";
}

class GenerationsTest : public StoreTest {
 protected:
  // The generations and salts of (tenant, type) as the store lists them.
  TypeGeneration Generations(const std::string& tenant = "default",
                             const std::string& type = "post") {
    for (const auto& g : Must(store_->ListGenerations())) {
      if (g.tenant == tenant && g.type == type) return g;
    }
    return {};
  }

  // Which axes of (default, post) `change` moved. An axis's salt is redrawn exactly when its
  // generation moves (migration 0006), so that is checked for every change too.
  template <typename Fn>
  Moved Across(Fn change) {
    auto before = Generations();
    change();
    auto after = Generations();
    EXPECT_GE(after.published, before.published);
    EXPECT_GE(after.draft, before.draft);
    const Moved moved{after.published != before.published, after.draft != before.draft};
    EXPECT_EQ(after.published_salt != before.published_salt, moved.published);
    EXPECT_EQ(after.draft_salt != before.draft_salt, moved.draft);
    return moved;
  }

  std::string PublishedPost(const json& data) {
    std::string root = Create(data);
    Publish(root);
    return root;
  }
};

TEST_F(GenerationsTest, CreatingADraftMovesOnlyTheDraftAxis) {
  EXPECT_EQ(Across([&] { Create({{"views", 1}, {"tags", {"x"}}}); }), (Moved{false, true}));
}

TEST_F(GenerationsTest, PublishingMovesBothAxes) {
  std::string root = Create({{"views", 1}});
  EXPECT_EQ(Across([&] { Publish(root); }), (Moved{true, true}));
}

TEST_F(GenerationsTest, SavingADraftOfAPublishedDocumentLeavesThePublishedAxis) {
  std::string root = PublishedPost({{"views", 1}, {"tags", {"x"}}});
  // The new version (with its facets) is a draft; the published row only stops being the
  // current draft, which no published listing shows.
  EXPECT_EQ(Across([&] { Update(root, {{"views", 2}, {"tags", {"y"}}}); }), (Moved{false, true}));
  EXPECT_EQ(Across([&] {
              Must(store_->Patch(PatchOp{"default", root, R"({"views":3})", {}}));
            }),
            (Moved{false, true}));
  EXPECT_EQ(Across([&] { Publish(root); }), (Moved{true, true}));
}

TEST_F(GenerationsTest, UnpublishDeleteAndRestoreMoveWhatTheyChange) {
  std::string root = PublishedPost({{"views", 1}});
  EXPECT_EQ(Across([&] { Lifecycle(root, LifecycleAction::kUnpublish); }), (Moved{true, true}));
  Publish(root);
  EXPECT_EQ(Across([&] { Lifecycle(root, LifecycleAction::kDelete); }), (Moved{true, true}));
  EXPECT_EQ(Across([&] { Lifecycle(root, LifecycleAction::kRestore); }), (Moved{true, true}));
}

TEST_F(GenerationsTest, PermissionRulesMoveBothAxes) {
  std::string root = PublishedPost({{"views", 1}});
  EXPECT_EQ(Across([&] {
              Must(store_->SetPermissions("default", root, {{"role", "editor", "read", "allow"}}));
            }),
            (Moved{true, true}));
}

TEST_F(GenerationsTest, PruningOldVersionsMovesNothing) {
  std::string root = PublishedPost({{"views", 0}, {"tags", {"x"}}});
  for (int v = 1; v <= 3; ++v)
    Update(root, {{"views", v}, {"tags", {"x"}}});
  // Version 2 is neither published (1 is) nor the current draft (4 is): deleting it (its
  // facets cascade, version 3's version_of_id is nulled) reaches no listing.
  ASSERT_EQ(RowStates(root)[1], "2|0|0|draft|0");
  EXPECT_EQ(
      Across([&] {
        ASSERT_EQ(
            raw().Exec("DELETE FROM documents WHERE root_id = ?1 AND version_number = 2", {root}),
            SQLITE_OK);
      }),
      (Moved{false, false}));
}

// Other programs write the same tables; the triggers answer for them too.
TEST_F(GenerationsTest, ExternalSqlMovesTheAxesOfTheRowsItTouches) {
  std::string root = PublishedPost({{"views", 1}, {"tags", {"x"}}});
  Update(root, {{"views", 2}});  // version 2: the current draft; version 1 stays published
  auto sql = [&](const std::string& statement) {
    return Across([&] { ASSERT_EQ(raw().Exec(statement, {root}), SQLITE_OK) << statement; });
  };
  EXPECT_EQ(sql("UPDATE documents SET data = '{\"views\":9}' WHERE root_id = ?1 AND "
                "is_published = 1"),
            (Moved{true, false}));
  EXPECT_EQ(sql("UPDATE documents SET title = 'T' WHERE root_id = ?1 AND is_current_draft = 1"),
            (Moved{false, true}));
  EXPECT_EQ(sql("UPDATE documents SET is_current_draft = is_current_draft WHERE root_id = ?1 AND "
                "is_published = 1"),
            (Moved{false, false}));  // the published row is not a current draft
  const std::string published_id =
      raw().Column("SELECT id FROM documents WHERE root_id = ?1 AND is_published = 1", {root})[0];
  auto facet_sql = [&](const std::string& statement) {
    return Across(
        [&] { ASSERT_EQ(raw().Exec(statement, {published_id}), SQLITE_OK) << statement; });
  };
  EXPECT_EQ(facet_sql("INSERT INTO document_facets(id, tenant_id, document_id, root_id, type_id, "
                      "field_name, value_text, created_at) SELECT 'f-ext', tenant_id, id, "
                      "root_id, type_id, 'tags', 'ext', 0 FROM documents WHERE id = ?1"),
            (Moved{true, false}));
  EXPECT_EQ(facet_sql("UPDATE document_facets SET value_text = 'ext2' WHERE document_id = ?1 AND "
                      "id = 'f-ext'"),
            (Moved{true, true}));
  EXPECT_EQ(facet_sql("DELETE FROM document_facets WHERE document_id = ?1 AND id = 'f-ext'"),
            (Moved{true, false}));
}

TEST_F(GenerationsTest, OtherTypesAndTenantsKeepTheirGenerations) {
  Must(store_->Create({"other", "post", R"({"views":1})", {}}));
  const auto before = Generations("other");
  PublishedPost({{"views", 1}});
  const auto after = Generations("other");
  EXPECT_EQ(after.published, before.published);
  EXPECT_EQ(after.draft, before.draft);
  EXPECT_EQ(after.published_salt, before.published_salt);
  EXPECT_EQ(after.draft_salt, before.draft_salt);
  EXPECT_NE(after.draft_salt, 0);
}

}  // namespace
}  // namespace folio::storage::testing
