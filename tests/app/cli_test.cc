// The `folio` command end to end through RunFolio: each case runs subcommands against a fresh
// data dir and checks their output, exit code and what they left in the store.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "support/temp_dir.h"

namespace folio::app {
namespace {

using nlohmann::json;

struct CliRun {
  int code;
  std::string out, err;
};

class CliTest : public ::testing::Test {
 protected:
  // Runs `folio --data-dir <dir> args...`.
  CliRun Folio(std::vector<std::string> args) {
    args.insert(args.begin(), {"folio", "--data-dir", dir_.str()});
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    std::ostringstream out, err;
    int code = RunFolio(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }

  // Runs and expects success; returns stdout.
  std::string Ok(std::vector<std::string> args) {
    CliRun r = Folio(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  }

  // Registers 'post' (category text, views integer, tags facet) and creates a published
  // document; returns its root id.
  std::string PublishedPost(const std::string& data) {
    std::string root = json::parse(Ok({"put", "--type", "post", "--data", data}))["data"]["id"];
    Ok({"publish", root});
    return root;
  }

  void RegisterPost() {
    Ok({"types", "add", "post", "--field", "category:text", "--field", "views:integer", "--facet",
        "tags"});
  }

  // The documents of the first page printed by `query`.
  static json PageData(const std::string& out) { return json::parse(out)["data"]; }

  test::TempDir dir_{"folio_cli"};
};

TEST_F(CliTest, InitCreatesTheDatabaseAndMigrateStatusListsEveryMigration) {
  EXPECT_NE(Ok({"init"}).find("database ready"), std::string::npos);
  std::string status = Ok({"migrate", "--status"});
  for (const char* file :
       {"0001_core.sql", "0002_documents.sql", "0003_folio_meta.sql", "0004_generations.sql",
        "0005_axis_generations.sql", "0006_generation_salts.sql"}) {
    EXPECT_NE(status.find(std::string("applied  ") + file), std::string::npos) << status;
  }
  EXPECT_EQ(status.find("pending"), std::string::npos) << status;
}

TEST_F(CliTest, DurabilityIsFullOrNormal) {
  CliRun bad = Folio({"--durability", "sometimes", "init"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("--durability"), std::string::npos) << bad.err;
  Ok({"--durability", "normal", "init"});
  RegisterPost();
  const std::string root = PublishedPost(R"({"views":1})");
  EXPECT_NE(Ok({"--durability", "full", "get", root}).find(root), std::string::npos);
}

TEST_F(CliTest, CacheSizesAreFlags) {
  Ok({"init"});
  RegisterPost();
  PublishedPost(R"({"views":1})");
  std::string stats = Ok({"--l1-bytes", "0", "--l2-bytes", "8388608", "stats"});
  EXPECT_NE(stats.find("\"map_size_bytes\":8388608"), std::string::npos) << stats;
  CliRun bad = Folio({"--l1-bytes", "lots", "stats"});
  EXPECT_NE(bad.code, 0);
}

TEST_F(CliTest, CommandsOnAMissingDatabaseSayToRunInit) {
  CliRun r = Folio({"query", "--type", "post"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("folio init"), std::string::npos) << r.err;
}

TEST_F(CliTest, TypesAddRegistersFieldsAndFacetsAndTypesListShowsThem) {
  Ok({"init"});
  RegisterPost();
  json listed = json::parse(Ok({"types", "list"}));
  EXPECT_EQ(listed["id"], "post");
  EXPECT_EQ(listed["fields"]["category"], "text");
  EXPECT_EQ(listed["fields"]["views"], "integer");
  EXPECT_EQ(listed["facets"], json::array({"tags"}));
}

TEST_F(CliTest, BadFieldKindIsAUsageErrorNamingIt) {
  Ok({"init"});
  CliRun r = Folio({"types", "add", "post", "--field", "views:float"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'float'"), std::string::npos) << r.err;
  EXPECT_EQ(Ok({"types", "list"}), "");  // nothing registered
}

TEST_F(CliTest, PutPublishQueryAndGetWalkTheDocumentLifecycle) {
  Ok({"init"});
  RegisterPost();
  std::string root = json::parse(Ok({"put", "--type", "post", "--data",
                                     R"({"category":"a","views":3,"tags":["x"]})"}))["data"]["id"];
  // A draft is not in the published listing until it is published.
  EXPECT_TRUE(PageData(Ok({"query", "--type", "post"})).empty());
  EXPECT_EQ(PageData(Ok({"query", "--type", "post", "--status", "draft"})).size(), 1u);
  Ok({"publish", root});
  json page = PageData(Ok({"query", "--type", "post"}));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]["data"]["views"], 3);

  Ok({"patch", root, "--data", R"({"views":4})"});
  Ok({"publish", root});
  json got = json::parse(Ok({"get", root}));
  EXPECT_EQ(got["data"]["data"]["views"], 4);
  EXPECT_EQ(got["data"]["data"]["category"], "a");  // patch merged over the draft

  Ok({"unpublish", root});
  EXPECT_TRUE(PageData(Ok({"query", "--type", "post"})).empty());
  CliRun missing = Folio({"get", root});
  EXPECT_EQ(missing.code, 1);
  EXPECT_FALSE(missing.err.empty());
}

TEST_F(CliTest, QueryFiltersFacetsSortsAndWalksEveryPage) {
  Ok({"init"});
  RegisterPost();
  for (int i = 0; i < 5; ++i) {
    PublishedPost(json{{"category", i % 2 ? "odd" : "even"},
                       {"views", i},
                       {"tags", i < 2 ? json::array({"x"}) : json::array()}}
                      .dump());
  }
  json evens = PageData(Ok({"query", "--type", "post", "--where", "category=even"}));
  EXPECT_EQ(evens.size(), 3u);
  json tagged = PageData(Ok({"query", "--type", "post", "--facet", "tags=x"}));
  EXPECT_EQ(tagged.size(), 2u);
  json by_views = PageData(Ok({"query", "--type", "post", "--sort", "views", "--order", "asc"}));
  ASSERT_EQ(by_views.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(by_views[i]["data"]["views"], i);

  // --all prints one page per line, following next_cursor to the end.
  std::istringstream lines(Ok(
      {"query", "--type", "post", "--limit", "2", "--sort", "views", "--order", "desc", "--all"}));
  std::vector<int> views;
  int pages = 0;
  for (std::string line; std::getline(lines, line);) {
    ++pages;
    for (const auto& d : PageData(line))
      views.push_back(d["data"]["views"]);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(views, (std::vector<int>{4, 3, 2, 1, 0}));
}

TEST_F(CliTest, QueryExplainPrintsThePlanOfTheListingsIndex) {
  Ok({"init"});
  RegisterPost();
  PublishedPost(R"({"category":"a"})");
  std::string plan = Ok({"query", "--type", "post", "--where", "category=a", "--explain"});
  EXPECT_NE(plan.find("SEARCH d USING INDEX idx_q_post_category "), std::string::npos) << plan;
  EXPECT_EQ(plan.find("\"data\""), std::string::npos) << "printed a page, not a plan";
  plan = Ok({"query", "--type", "post", "--sort", "created_at", "--explain"});
  EXPECT_NE(plan.find("idx_documents_published_created"), std::string::npos) << plan;
}

TEST_F(CliTest, BadQueryFlagsAreUsageErrorsNamingWhatWasWrong) {
  Ok({"init"});
  RegisterPost();
  struct Case {
    std::vector<std::string> args;
    std::string named;
  };
  const std::vector<Case> cases = {
      {{"query", "--type", "post", "--where", "nope=1"}, "'nope'"},
      {{"query", "--type", "post", "--where", "views:eq:abc"}, "'abc'"},
      {{"query", "--type", "post", "--sort", "nope"}, "'nope'"},
      {{"query", "--type", "post", "--order", "sideways"}, "sideways"},
      {{"query", "--type", "post", "--limit", "0"}, "limit 0"},
      {{"query", "--type", "post", "--status", "archived"}, "archived"},
      {{"query", "--type", "post", "--cursor", "garbage"}, "cursor"},
      {{"query", "--type", "post", "--explain", "--where", "nope=1"}, "'nope'"},
  };
  for (const auto& c : cases) {
    CliRun r = Folio(c.args);
    EXPECT_EQ(r.code, 2) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(CliTest, PutRefusesBadDataAndWritesNothing) {
  Ok({"init"});
  RegisterPost();
  CliRun not_json = Folio({"put", "--type", "post", "--data", "{not json"});
  EXPECT_NE(not_json.code, 0);
  EXPECT_FALSE(not_json.err.empty());
  CliRun no_type = Folio({"put", "--data", "{}"});
  EXPECT_EQ(no_type.code, 2);
  EXPECT_NE(no_type.err.find("--type"), std::string::npos) << no_type.err;
  CliRun unknown_type = Folio({"put", "--type", "nope", "--data", "{}"});
  EXPECT_NE(unknown_type.code, 0);
  EXPECT_NE(unknown_type.err.find("nope"), std::string::npos) << unknown_type.err;
  EXPECT_TRUE(PageData(Ok({"query", "--type", "post", "--status", "draft"})).empty());
}

TEST_F(CliTest, UnknownSubcommandIsAUsageError) {
  CliRun r = Folio({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST_F(CliTest, SeedWritesPublishedDocumentsOverItsTypes) {
  Ok({"seed", "-n", "30", "-k", "3", "--body-bytes", "16"});
  json types = json::array();
  std::istringstream lines(Ok({"types", "list"}));
  for (std::string line; std::getline(lines, line);)
    types.push_back(json::parse(line)["id"]);
  ASSERT_EQ(types.size(), 3u);
  size_t total = 0;
  for (const auto& t : types) {
    total += PageData(Ok({"query", "--type", t.get<std::string>(), "--limit", "100"})).size();
  }
  EXPECT_EQ(total, 30u);
}

}  // namespace
}  // namespace folio::app
