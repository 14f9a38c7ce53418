// The invalidation generations since migration 0007: writes no longer move them (the change
// log says what a write changed, change_log_test.cc); coarse events do. A registration that
// changes a type moves both axes of every (tenant, type) of it, in its transaction; an import
// moves every generation. Each move redraws the axis's salt (migration 0006), so (generation,
// salt) never repeats, even after the database went back in time.
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
  // The generations and salts of (tenant, type) as the store lists them; zeros without a row.
  TypeGeneration Generations(const std::string& tenant = "default",
                             const std::string& type = "post") {
    for (const auto& g : Must(store_->ListGenerations())) {
      if (g.tenant == tenant && g.type == type) return g;
    }
    return {tenant, type, 0, 0, 0, 0};
  }

  // Which axes of (tenant, type) `change` moved. An axis's salt is redrawn exactly when its
  // generation moves (migration 0006), so that is checked for every change too.
  template <typename Fn>
  Moved Across(Fn change, const std::string& tenant = "default", const std::string& type = "post") {
    auto before = Generations(tenant, type);
    change();
    auto after = Generations(tenant, type);
    EXPECT_GE(after.published, before.published);
    EXPECT_GE(after.draft, before.draft);
    const Moved moved{after.published != before.published, after.draft != before.draft};
    EXPECT_EQ(after.published_salt != before.published_salt, moved.published);
    EXPECT_EQ(after.draft_salt != before.draft_salt, moved.draft);
    return moved;
  }

  std::string PublishedPost(const json& data, const std::string& tenant = "default") {
    std::string root = Create(data, tenant);
    Publish(root, tenant);
    return root;
  }

  // The post type with one more field.
  static TypeDefinition PostWith(const std::string& field) {
    TypeDefinition t = PostType();
    t.fields[field] = FieldKind::kInteger;
    return t;
  }
};

TEST_F(GenerationsTest, WritesMoveNoGeneration) {
  const Moved kept{false, false};
  std::string root;
  EXPECT_EQ(Across([&] { root = Create({{"views", 1}, {"tags", {"x"}}}); }), kept);
  EXPECT_EQ(Across([&] { Publish(root); }), kept);
  EXPECT_EQ(Across([&] { Update(root, {{"views", 2}, {"tags", {"y"}}}); }), kept);
  EXPECT_EQ(Across([&] {
              Must(store_->Patch(PatchOp{"default", root, R"({"views":3})", {}}));
            }),
            kept);
  EXPECT_EQ(Across([&] { Lifecycle(root, LifecycleAction::kUnpublish); }), kept);
  EXPECT_EQ(Across([&] { Lifecycle(root, LifecycleAction::kDelete); }), kept);
  EXPECT_EQ(Across([&] { Lifecycle(root, LifecycleAction::kRestore); }), kept);
  EXPECT_EQ(Across([&] {
              Must(store_->SetPermissions("default", root, {{"role", "editor", "read", "allow"}}));
            }),
            kept);
  // Other programs' writes neither: the per-write triggers are gone.
  EXPECT_EQ(Across([&] {
              ASSERT_EQ(raw().Exec("UPDATE documents SET data = '{\"views\":9}' WHERE root_id = ?1",
                                   {root}),
                        SQLITE_OK);
            }),
            kept);
  EXPECT_EQ(raw().Int("SELECT count(*) FROM folio_generations"), 0);
  EXPECT_EQ(raw().Int("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                      "'folio_gen_%' AND name NOT LIKE 'folio_gen_salt_%'"),
            0);
}

TEST_F(GenerationsTest, ARegistrationThatChangesTheTypeMovesBothAxesOfEachTenant) {
  PublishedPost({{"views", 1}});
  Create({{"views", 1}}, "other");
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(PostWith("stars"))); }), (Moved{true, true}));
  // Every tenant with a document of the type gets its row, both axes moved and salted.
  const auto other = Generations("other");
  EXPECT_EQ(other.published, 1);
  EXPECT_EQ(other.draft, 1);
  EXPECT_NE(other.published_salt, 0);
  EXPECT_NE(other.draft_salt, 0);
  // A new facet is a change too; both tenants move again.
  TypeDefinition with_facet = PostWith("stars");
  with_facet.facets.push_back("labels");
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(with_facet)); }), (Moved{true, true}));
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(with_facet)); }, "other"),
            (Moved{false, false}));
  EXPECT_EQ(Generations("other").published, 2);
}

TEST_F(GenerationsTest, ARegistrationThatChangesNothingMovesNothing) {
  PublishedPost({{"views", 1}});
  Must(store_->RegisterType(PostWith("stars")));
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(PostWith("stars"))); }), (Moved{false, false}));
  // Asking for a subset of what is registered adds nothing.
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(PostType())); }), (Moved{false, false}));
}

TEST_F(GenerationsTest, OtherTypesKeepTheirGenerations) {
  TypeDefinition page;
  page.id = "page";
  page.fields = {{"order", FieldKind::kInteger}};
  Must(store_->RegisterType(page));
  Must(store_->Create({"default", "page", R"({"order":1})", {}}));
  Must(store_->RegisterType(PostWith("stars")));  // gives (default, post) no row: no post yet
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(PostWith("likes"))); }, "default", "page"),
            (Moved{false, false}));
  EXPECT_EQ(Generations("default", "page").published, 0);
  page.fields["weight"] = FieldKind::kNumber;
  EXPECT_EQ(Across([&] { Must(store_->RegisterType(page)); }, "default", "page"),
            (Moved{true, true}));
}

TEST_F(GenerationsTest, ARefusedRegistrationMovesNothing) {
  PublishedPost({{"views", 1}});
  Must(store_->RegisterType(PostWith("stars")));
  TypeDefinition clash = PostWith("likes");
  clash.fields["views"] = FieldKind::kText;  // registered as integer: Conflict, rolled back
  EXPECT_EQ(Across([&] { EXPECT_TRUE(store_->RegisterType(clash).status().IsConflict()); }),
            (Moved{false, false}));
}

TEST_F(GenerationsTest, ImportMovesEveryGeneration) {
  PublishedPost({{"views", 1}});
  PublishedPost({{"views", 1}}, "other");
  Must(store_->RegisterType(PostWith("stars")));
  const auto before = Must(store_->ListGenerations());
  ASSERT_EQ(before.size(), 2u);
  std::string dump;
  FOLIO_ASSERT_OK(store_->ExportSql([&](std::string_view piece) {
    dump.append(piece);
    return Status::Ok();
  }));
  const std::string copy = (dir_.path() / "imported.sqlite").string();
  FOLIO_ASSERT_OK(DocumentStore::ImportSql(copy, dump));
  StoreOptions options = MakeOptions();
  options.path = copy;
  auto imported = Must(DocumentStore::Open(options));
  auto after = Must(imported->ListGenerations());
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE(after[i].tenant);
    EXPECT_EQ(after[i].tenant, before[i].tenant);
    EXPECT_EQ(after[i].published, before[i].published + 1);
    EXPECT_EQ(after[i].draft, before[i].draft + 1);
    EXPECT_NE(after[i].published_salt, before[i].published_salt);
    EXPECT_NE(after[i].draft_salt, before[i].draft_salt);
  }
}

// A generation is a counter: after the database went back in time, the next registration
// counts up to a value the lost timeline used. Its salt is new, so (generation, salt) is too.
TEST_F(GenerationsTest, AfterARollbackTheSameGenerationComesBackWithANewSalt) {
  PublishedPost({{"views", 1}});
  Must(store_->RegisterType(PostWith("stars")));
  const std::string backup = (dir_.path() / "backup.sqlite").string();
  ASSERT_NO_FATAL_FAILURE(BackupTo(backup));
  Must(store_->RegisterType(PostWith("likes")));
  const auto lost = Generations();

  ASSERT_NO_FATAL_FAILURE(RestoreFrom(backup));
  Must(store_->RegisterType(PostWith("likes")));
  const auto again = Generations();
  EXPECT_EQ(again.published, lost.published);
  EXPECT_EQ(again.draft, lost.draft);
  EXPECT_NE(again.published_salt, lost.published_salt);
  EXPECT_NE(again.draft_salt, lost.draft_salt);
}

}  // namespace
}  // namespace folio::storage::testing
