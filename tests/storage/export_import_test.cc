// ExportSql / ImportSql: a dump loads into a new database that lists the same documents, with
// a fresh identity (instance id and cursor secret).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "folio/storage/document_store.h"

namespace folio::storage {
namespace {

class ExportImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("folio_export_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<DocumentStore> Open(const std::string& name) {
    StoreOptions options;
    options.path = (dir_ / name).string();
    options.clock = &clock_;
    auto store = DocumentStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static std::string Dump(DocumentStore& store) {
    std::string sql;
    Status s = store.ExportSql([&sql](std::string_view piece) {
      sql.append(piece);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return sql;
  }

  static std::string AllPages(DocumentStore& store, Query q) {
    std::string out;
    for (;;) {
      auto page = store.List(q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return out;
      out += page->documents_json;
      if (!page->next_cursor) return out;
      q.cursor = *page->next_cursor;
    }
  }

  std::filesystem::path dir_;
  ManualClock clock_;
};

TEST_F(ExportImportTest, DumpLoadsIntoANewDatabaseThatListsTheSameDocuments) {
  auto source = Open("source.sqlite");
  ASSERT_NE(source, nullptr);
  TypeDefinition post{"blog-post", "", {{"views", FieldKind::kInteger}}, {"tags"}};
  ASSERT_TRUE(source->RegisterType(post).ok());
  for (int i = 0; i < 30; ++i) {
    auto c = source->Create({"default",
                             "blog-post",
                             R"({"views":)" + std::to_string(i) + R"(,"tags":["t)" +
                                 std::to_string(i % 3) +
                                 R"("],"quote":"it's \"quoted\"\nand multi-line"})",
                             {}});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    if (i % 2 == 0) {
      ASSERT_TRUE(source->Apply({"default", c->document.root_id, LifecycleAction::kPublish}).ok());
    }
  }
  const std::string sql = Dump(*source);
  EXPECT_NE(sql.find("CREATE TABLE"), std::string::npos);
  EXPECT_NE(sql.find("INSERT INTO \"documents\""), std::string::npos);

  const std::string target_path = (dir_ / "target.sqlite").string();
  ASSERT_TRUE(DocumentStore::ImportSql(target_path, sql).ok());
  auto target = Open("target.sqlite");
  ASSERT_NE(target, nullptr);
  EXPECT_NE(target->instance_id(), source->instance_id());

  for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
    Query q;
    q.type = "blog-post";
    q.axis = axis;
    q.limit = 7;
    EXPECT_EQ(AllPages(*target, q), AllPages(*source, q));
    q.facets.push_back({"tags", "t1"});
    q.filters.push_back({"views", FilterOp::kGte, {FilterValue(int64_t{10})}});
    EXPECT_EQ(AllPages(*target, q), AllPages(*source, q));
  }

  // A cursor of the source is not one of the target's: the secret is new.
  Query q;
  q.type = "blog-post";
  q.limit = 2;
  auto first = source->List(q);
  ASSERT_TRUE(first.ok() && first->next_cursor);
  q.cursor = *first->next_cursor;
  auto foreign = target->List(q);
  EXPECT_FALSE(foreign.ok());
  EXPECT_TRUE(foreign.status().IsInvalidArgument());
}

TEST_F(ExportImportTest, ImportRefusesAnExistingFileAndABrokenDump) {
  auto existing = Open("existing.sqlite");
  ASSERT_NE(existing, nullptr);
  Status s = DocumentStore::ImportSql((dir_ / "existing.sqlite").string(), Dump(*existing));
  EXPECT_TRUE(s.IsConflict()) << s.ToString();

  const std::string broken = (dir_ / "broken.sqlite").string();
  s = DocumentStore::ImportSql(broken, "CREATE TABLE x(; this is not SQL");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(broken)) << "a failed import leaves no file behind";
}

}  // namespace
}  // namespace folio::storage
