// The `folio` command end to end through RunFolio: each case runs subcommands against a fresh
// data dir and checks their output, exit code and what they left in the store.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "build_info.h"
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

TEST_F(CliTest, MigrateStatusAppliesNothingAndMigrateAppliesEverything) {
  // An empty file is an empty SQLite database: every migration is pending.
  const std::string db = (dir_.path() / "empty.sqlite").string();
  std::ofstream(db).close();
  for (int round = 0; round < 2; ++round) {  // the second run sees what the first left
    const std::string status = Ok({"--db", db, "migrate", "--status"});
    EXPECT_NE(status.find("pending  0001_core.sql"), std::string::npos) << status;
    EXPECT_EQ(status.find("applied"), std::string::npos) << status;
  }
  EXPECT_EQ(std::filesystem::file_size(db), 0u);
  // No engine was opened: no L2, no epoch file in the data dir.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "kv"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "folio.epoch"));

  const std::string applied = Ok({"--db", db, "migrate"});
  EXPECT_NE(applied.find("applied  0001_core.sql"), std::string::npos) << applied;
  EXPECT_EQ(applied.find("pending"), std::string::npos) << applied;
  EXPECT_EQ(Ok({"--db", db, "migrate", "--status"}).find("pending"), std::string::npos);

  CliRun missing = Folio({"--db", (dir_.path() / "none.sqlite").string(), "migrate", "--status"});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("run 'folio init' first"), std::string::npos) << missing.err;
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

TEST_F(CliTest, BenchReplaysALogDirectlyAndThroughFolio) {
  Ok({"init"});
  RegisterPost();
  const std::string root = PublishedPost(R"({"category":"a","views":1})");
  const std::string log_path = (dir_.path() / "reads.log").string();
  {
    std::ofstream log(log_path);
    log << "/v1/default/types/post/documents?where.views.in=1,2\n"
        << "GET \"/v1/default/documents/" << root << "\" 200 10B 1ms memory id\n"
        << "POST /v1/default/types/post/documents\n"
        << "/v1/default/types/post/documents?where.views.in=1,2\n";
  }
  const json report = json::parse(Ok({"bench", log_path, "--passes", "2", "--json"}));
  EXPECT_EQ(report["reads"], 3);
  EXPECT_EQ(report["skipped"]["writes"], 1);
  EXPECT_EQ(report["passes"], 2);
  EXPECT_EQ(report["tiers"]["database"], 2);  // the listing and the document, once each
  EXPECT_EQ(report["tiers"]["memory"], 4);
  EXPECT_EQ(report["errors"], 0);
  EXPECT_EQ(report["mismatches"], 0);
  const std::string text = Ok({"bench", log_path});
  EXPECT_NE(text.find("3 reads replayed"), std::string::npos) << text;
  EXPECT_NE(text.find("speed-up:"), std::string::npos) << text;
  // A log with nothing to replay, or no log at all, is an error naming it.
  const std::string writes_only = (dir_.path() / "writes.log").string();
  std::ofstream(writes_only) << "DELETE /v1/default/documents/x\n";
  CliRun none = Folio({"bench", writes_only});
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("no read to replay"), std::string::npos) << none.err;
  CliRun missing = Folio({"bench", (dir_.path() / "nope.log").string()});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("nope.log"), std::string::npos) << missing.err;
}

TEST_F(CliTest, ReadsPrintJsonForScriptsAndTablesForPeople) {
  Ok({"init"});
  RegisterPost();
  const std::string root = PublishedPost(R"({"category":"a","views":1})");
  // Not a terminal (a test's stream, a pipe): JSON, one object per line.
  EXPECT_EQ(PageData(Ok({"query", "--type", "post"})).size(), 1u);
  // A person's terminal (forced here, as FOLIO_OUTPUT lets a user do): a table.
  setenv("FOLIO_OUTPUT", "human", 1);
  const std::string table = Ok({"query", "--type", "post"});
  const std::string doc = Ok({"get", root});
  const std::string json_anyway = Ok({"query", "--type", "post", "--json"});
  const std::string types_json = Ok({"types", "list", "--json"});
  unsetenv("FOLIO_OUTPUT");
  EXPECT_NE(table.find("ROOT"), std::string::npos) << table;
  EXPECT_NE(table.find(root), std::string::npos) << table;
  EXPECT_NE(table.find("1 document, answered from"), std::string::npos) << table;
  EXPECT_NE(doc.find("\n  \"data\": {"), std::string::npos) << "indented: " << doc;
  EXPECT_EQ(PageData(json_anyway).size(), 1u) << "--json wins on a terminal";
  EXPECT_EQ(json::parse(types_json)["id"], "post");
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

// ---- SonicJS's model (issue 12) ------------------------------------------------------------

// `types add --json` takes SonicJS's DocumentType (inline or @file) and `types list` prints it
// in SonicJS's shape with the short form beside; a bad definition is a usage error naming the
// problem, a field registered again as something else a conflict; neither registers anything.
TEST_F(CliTest, TypesAddJsonTakesSonicJsDocumentTypeAndTypesListShowsItsShape) {
  Ok({"init"});
  const json settings = {{"versioning", false}, {"maxVersionsPerRoot", 4}};
  const json article = {{"id", "article"},
                        {"displayName", "Article"},
                        {"queryableFields",
                         {{{"name", "views"}, {"kind", "scalar"}, {"type", "integer"}},
                          {{"name", "tags"}, {"kind", "facet"}},
                          {{"name", "author"}, {"kind", "reference"}, {"refStrength", "strong"}}}},
                        {"settings", settings}};
  json added = json::parse(Ok({"types", "add", "--json", article.dump()}));
  EXPECT_EQ(added["id"], "article");
  EXPECT_EQ(added["settings"], settings);

  const std::string file = (dir_.path() / "page.json").string();
  {
    // (stdio: this file's includes are left as they were.)
    std::FILE* out = std::fopen(file.c_str(), "w");
    ASSERT_NE(out, nullptr);
    std::fputs(R"({"id":"page","queryableFields":[{"name":"n","kind":"scalar","type":"number"}]})",
               out);
    std::fclose(out);
  }
  // (Appended, not "@" + file: GCC 12 warns falsely on that operator+.)
  std::string at_file = "@";
  at_file += file;
  Ok({"types", "add", "--json", at_file});

  std::map<std::string, json> listed;
  std::istringstream lines(Ok({"types", "list"}));
  for (std::string line; std::getline(lines, line);) {
    json t = json::parse(line);
    listed[t["id"].get<std::string>()] = t;
  }
  ASSERT_EQ(listed.size(), 2u);
  const json& t = listed["article"];
  EXPECT_EQ(t, added);
  EXPECT_EQ(t["name"], "article");
  EXPECT_EQ(t["display_name"], "Article");
  ASSERT_EQ(t["queryableFields"].size(), 3u) << t.dump();
  EXPECT_EQ(t["queryableFields"][0]["type"], "integer");
  EXPECT_EQ(t["queryableFields"][1]["kind"], "facet");
  EXPECT_EQ(t["queryableFields"][2]["kind"], "reference");
  EXPECT_EQ(t["queryableFields"][2]["refStrength"], "strong");
  EXPECT_EQ(t["fields"], (json{{"views", "integer"}}));
  EXPECT_EQ(t["facets"], json::array({"tags"}));
  EXPECT_EQ(t["references"], json::array({"author"}));
  EXPECT_EQ(listed["page"]["fields"], (json{{"n", "number"}}));
  EXPECT_FALSE(listed["page"]["settings"].value("versioning", false));  // SonicJS's default

  std::string at_missing = "@";
  at_missing += (dir_.path() / "missing.json").string();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string named;
  };
  const std::vector<Case> cases = {
      {{"types", "add", "--json", R"({"id":"x","queryableFields":[{"name":"a","kind":"vector"}]})"},
       2,
       "vector"},
      {{"types", "add", "--json", R"({"id":"x","settings":{"versioning":"yes"}})"},
       2,
       "versioning"},
      {{"types", "add", "--json", "{not json"}, 2, "JSON"},
      {{"types", "add", "other", "--json", R"({"id":"x"})"}, 2, "'other'"},
      {{"types", "add", "--json", at_missing}, 1, "missing.json"},
      {{"types", "add", "--json",
        R"({"id":"article","queryableFields":[{"name":"views","kind":"facet"}]})"},
       1,
       "views"},
  };
  for (const auto& c : cases) {
    CliRun r = Folio(c.args);
    EXPECT_EQ(r.code, c.code) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << c.args.back() << ": " << r.err;
  }
  // Nothing registered, nothing changed.
  std::istringstream after(Ok({"types", "list"}));
  std::vector<json> types;
  for (std::string line; std::getline(after, line);)
    types.push_back(json::parse(line));
  ASSERT_EQ(types.size(), 2u);
  for (const auto& type : types) {
    if (type["id"] == "article") {
      EXPECT_EQ(type, added);
    }
  }
}

// `types add ID --field` on a type registered in SonicJS's form adds the field and keeps the
// type's settings (the short form's versioning default is for new types).
TEST_F(CliTest, TypesAddShortFormOnASonicJsTypeKeepsItsSettings) {
  Ok({"init"});
  const json settings = {{"global", true}, {"maxVersionsPerRoot", 3}};
  Ok({"types", "add", "--json",
      json{{"id", "country"},
           {"queryableFields", {{{"name", "code"}, {"kind", "scalar"}}}},
           {"settings", settings}}
          .dump()});
  json t = json::parse(Ok({"types", "add", "country", "--field", "population:integer"}));
  EXPECT_EQ(t["fields"], (json{{"code", "text"}, {"population", "integer"}}));
  EXPECT_EQ(t["settings"], settings);
}

// `get --type T --slug S`: the published row by default; --status any the published row else
// the draft; --status draft the draft.
TEST_F(CliTest, GetBySlugReadsPublishedElseDraft) {
  Ok({"init"});
  RegisterPost();
  const std::string root = json::parse(Ok(
      {"put", "--type", "post", "--data", R"({"views":1})", "--slug", "hello"}))["data"]["root_id"];
  CliRun unpublished = Folio({"get", "--type", "post", "--slug", "hello"});
  EXPECT_EQ(unpublished.code, 1);
  EXPECT_NE(unpublished.err.find("hello"), std::string::npos) << unpublished.err;
  json any = json::parse(Ok({"get", "--type", "post", "--slug", "hello", "--status", "any"}));
  EXPECT_EQ(any["data"]["root_id"], root);
  EXPECT_EQ(any["data"]["status"], "draft");
  EXPECT_TRUE(any["meta"]["cache"].is_object()) << any.dump();

  Ok({"publish", root});
  Ok({"patch", root, "--data", R"({"views":2})"});
  json published = json::parse(Ok({"get", "--type", "post", "--slug", "hello"}));
  EXPECT_EQ(published["data"]["data"]["views"], 1);
  EXPECT_EQ(published["data"]["status"], "published");
  json any_now = json::parse(Ok({"get", "--type", "post", "--slug", "hello", "--status", "any"}));
  EXPECT_EQ(any_now["data"]["data"]["views"], 1);
  json draft = json::parse(Ok({"get", "--type", "post", "--slug", "hello", "--status", "draft"}));
  EXPECT_EQ(draft["data"]["data"]["views"], 2);

  EXPECT_EQ(Folio({"get", "--type", "post", "--slug", "hello", "--locale", "fr"}).code, 1);
  EXPECT_EQ(Folio({"get", "--type", "post", "--slug", "nope"}).code, 1);
  CliRun bad_status = Folio({"get", "--type", "post", "--slug", "hello", "--status", "bogus"});
  EXPECT_EQ(bad_status.code, 2);
  EXPECT_NE(bad_status.err.find("bogus"), std::string::npos) << bad_status.err;
  CliRun no_type = Folio({"get", "--slug", "hello"});
  EXPECT_EQ(no_type.code, 2);
  EXPECT_NE(no_type.err.find("--type"), std::string::npos) << no_type.err;
  EXPECT_EQ(Folio({"get", root, "--type", "post", "--slug", "hello"}).code, 2);
}

// `versions ROOT` pages the versions newest first; `version ROOT N` prints one; `--restore`
// writes a new current draft from it.
TEST_F(CliTest, VersionsListAndVersionRestore) {
  Ok({"init"});
  RegisterPost();  // the short form: versioning on
  const std::string root = json::parse(
      Ok({"put", "--type", "post", "--data", R"({"views":1})", "--slug", "s1"}))["data"]["root_id"];
  Ok({"put", root, "--data", R"({"views":2})", "--slug", "s2"});
  Ok({"put", root, "--data", R"({"views":3})"});
  auto numbers = [](const json& page) {
    std::vector<int64_t> out;
    for (const auto& d : page["data"])
      out.push_back(d["version"].get<int64_t>());
    return out;
  };
  json all = json::parse(Ok({"versions", root}));
  EXPECT_EQ(numbers(all), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(all["meta"]["count"], 3);
  EXPECT_TRUE(all["meta"]["next_cursor"].is_null());
  json first = json::parse(Ok({"versions", root, "--limit", "2"}));
  EXPECT_EQ(numbers(first), (std::vector<int64_t>{3, 2}));
  ASSERT_TRUE(first["meta"]["next_cursor"].is_string()) << first.dump();
  json second = json::parse(Ok({"versions", root, "--limit", "2", "--cursor",
                                first["meta"]["next_cursor"].get<std::string>()}));
  EXPECT_EQ(numbers(second), (std::vector<int64_t>{1}));
  EXPECT_TRUE(second["meta"]["next_cursor"].is_null());

  json v2 = json::parse(Ok({"version", root, "2"}));
  EXPECT_EQ(v2["data"]["data"]["views"], 2);
  EXPECT_EQ(v2["data"]["slug"], "s2");

  json restored = json::parse(Ok({"version", root, "1", "--restore"}));
  EXPECT_EQ(restored["data"]["version"], 4);
  EXPECT_EQ(restored["data"]["data"], (json{{"views", 1}}));
  EXPECT_EQ(restored["data"]["slug"], "s1");
  EXPECT_EQ(numbers(json::parse(Ok({"versions", root}))), (std::vector<int64_t>{4, 3, 2, 1}));

  // Bad input: a clear error, nothing written.
  EXPECT_EQ(Folio({"version", root, "9"}).code, 1);
  EXPECT_EQ(Folio({"version", root, "9", "--restore"}).code, 1);
  EXPECT_EQ(Folio({"version", root, "0"}).code, 2);
  EXPECT_NE(Folio({"version", root, "x"}).code, 0);
  EXPECT_EQ(Folio({"versions", root, "--limit", "0"}).code, 2);
  EXPECT_EQ(Folio({"versions", root, "--cursor", "zz"}).code, 2);
  EXPECT_EQ(Folio({"versions", "no-such-root"}).code, 1);
  EXPECT_EQ(numbers(json::parse(Ok({"versions", root}))), (std::vector<int64_t>{4, 3, 2, 1}));
}

// `referrers ROOT` lists who refers to ROOT; `delete ROOT` is refused while a live document
// holds a strong reference to it, naming the referrer; a bad reference writes nothing.
TEST_F(CliTest, ReferrersAndDeleteRefusedWhileStronglyReferenced) {
  Ok({"init"});
  Ok({"types", "add", "author", "--field", "name:text"});
  Ok({"types", "add", "--json",
      R"({"id":"book","queryableFields":[{"name":"author","kind":"reference",)"
      R"("refStrength":"strong"}]})"});
  const std::string author = json::parse(
      Ok({"put", "--type", "author", "--data", R"({"name":"Ann"})"}))["data"]["root_id"];
  const std::string book = json::parse(
      Ok({"put", "--type", "book", "--data", json{{"author", author}}.dump()}))["data"]["root_id"];

  json refs = json::parse(Ok({"referrers", author}));
  EXPECT_EQ(refs["meta"]["count"], 1);
  ASSERT_EQ(refs["data"].size(), 1u) << refs.dump();
  EXPECT_EQ(refs["data"][0]["root_id"], book);
  EXPECT_EQ(refs["data"][0]["field"], "author");
  EXPECT_EQ(refs["data"][0]["type"], "book");
  EXPECT_EQ(refs["data"][0]["ref_strength"], "strong");
  EXPECT_EQ(refs["data"][0]["current_draft"], true);
  EXPECT_EQ(json::parse(Ok({"referrers", book}))["meta"]["count"], 0);
  EXPECT_EQ(Folio({"referrers", "no-such-root"}).code, 1);

  CliRun refused = Folio({"delete", author});
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find(book), std::string::npos) << refused.err;
  EXPECT_EQ(json::parse(Ok({"get", author, "--status", "draft"}))["data"]["root_id"], author);

  CliRun bad_ref = Folio({"put", "--type", "book", "--data", R"({"author":"no-such-root"})"});
  EXPECT_EQ(bad_ref.code, 2);
  EXPECT_NE(bad_ref.err.find("no-such-root"), std::string::npos) << bad_ref.err;
  EXPECT_EQ(PageData(Ok({"query", "--type", "book", "--status", "draft"})).size(), 1u);

  Ok({"delete", book});
  Ok({"delete", author});
  EXPECT_EQ(Folio({"get", author, "--status", "draft"}).code, 1);
}

// `put --parent P --sort-order N` places children; `query --parent P --sort sort_order` lists
// them in that order; a parent that is not a document is refused and writes nothing.
TEST_F(CliTest, QueryListsChildrenInSortOrder) {
  Ok({"init"});
  RegisterPost();
  const std::string parent = PublishedPost(R"({"category":"menu"})");
  std::vector<std::string> children;
  for (int order : {2, 1, 3}) {
    std::string root = json::parse(
        Ok({"put", "--type", "post", "--data", json{{"views", order}}.dump(), "--parent", parent,
            "--sort-order", std::to_string(order)}))["data"]["root_id"];
    Ok({"publish", root});
  }
  json asc = PageData(Ok(
      {"query", "--type", "post", "--parent", parent, "--sort", "sort_order", "--order", "asc"}));
  ASSERT_EQ(asc.size(), 3u) << asc.dump();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(asc[i]["sort_order"], i + 1);
    EXPECT_EQ(asc[i]["data"]["views"], i + 1);
    EXPECT_EQ(asc[i]["parent_root_id"], parent);
  }
  json top = PageData(Ok({"query", "--type", "post", "--parent", ""}));
  ASSERT_EQ(top.size(), 1u) << top.dump();
  EXPECT_EQ(top[0]["root_id"], parent);

  CliRun orphan = Folio({"put", "--type", "post", "--data", "{}", "--parent", "no-such-root"});
  EXPECT_EQ(orphan.code, 2);
  EXPECT_NE(orphan.err.find("no-such-root"), std::string::npos) << orphan.err;
  EXPECT_EQ(PageData(Ok({"query", "--type", "post", "--status", "draft", "--limit", "100"})).size(),
            4u);
}

// ---- Writes a CMS can trust (issue 13) ------------------------------------------------------

TEST_F(CliTest, ABadFieldValueIsRefusedNamingFieldTypeAndValue) {
  RegisterPost();
  CliRun bad = Folio({"put", "--type", "post", "--data", R"({"views":"not-a-number"})"});
  EXPECT_NE(bad.code, 0);
  for (const char* part : {"'views'", "integer", "\"not-a-number\""})
    EXPECT_NE(bad.err.find(part), std::string::npos) << bad.err;
  CliRun facet = Folio({"put", "--type", "post", "--data", R"({"tags":[{"a":1}]})"});
  EXPECT_NE(facet.code, 0);
  EXPECT_NE(facet.err.find("facet 'tags'"), std::string::npos) << facet.err;
  // Nothing was written: the draft listing is empty; good and null values go in.
  EXPECT_TRUE(PageData(Ok({"query", "--type", "post", "--status", "draft"})).empty());
  Ok({"put", "--type", "post", "--data", R"({"views":null,"category":"a"})"});
  EXPECT_EQ(PageData(Ok({"query", "--type", "post", "--status", "draft"})).size(), 1u);
}

TEST_F(CliTest, AsAPrincipalWritesNeedARuleOrAGrant) {
  Ok({"types", "add", "--json",
      R"({"id":"memo","queryableFields":[],"settings":{"baseGrants":{"editor":["create","update"]}}})"});
  // An editor may create (the type grants it); the author is recorded.
  json created = json::parse(
      Ok({"--as", "user:erin,role:editor", "put", "--type", "memo", "--data", R"({"n":1})"}));
  EXPECT_EQ(created["data"]["created_by"], "erin");
  const std::string root = created["data"]["root_id"];
  // A viewer may not update, an editor may not publish: 403-like failures, nothing written.
  CliRun viewer = Folio({"--as", "role:viewer", "patch", root, "--data", R"({"n":2})"});
  EXPECT_NE(viewer.code, 0);
  EXPECT_NE(viewer.err.find("may not update"), std::string::npos) << viewer.err;
  CliRun publish = Folio({"--as", "role:editor", "publish", root});
  EXPECT_NE(publish.code, 0);
  EXPECT_NE(publish.err.find("may not publish"), std::string::npos) << publish.err;
  EXPECT_EQ(json::parse(Ok({"get", root, "--status", "draft"}))["data"]["data"]["n"], 1);
  // A rule that allows: set through `permissions --set` (as administrator), then used.
  std::string rules = Ok({"permissions", root, "--set",
                          R"([{"principal_type":"role","principal_id":"editor",)"
                          R"("permission":"publish","effect":"allow"}])"});
  EXPECT_EQ(json::parse(rules)["data"]["rules"].size(), 1u) << rules;
  Ok({"--as", "role:editor", "publish", root});
  // Deny wins over the type's grant.
  Ok({"permissions", root, "--set",
      R"({"rules":[{"principal_type":"user","principal_id":"erin","permission":"update",)"
      R"("effect":"deny"}]})"});
  CliRun denied = Folio({"--as", "user:erin,role:editor", "patch", root, "--data", R"({"n":3})"});
  EXPECT_NE(denied.code, 0) << denied.out;
  // Reading or changing the rules needs manage.
  CliRun manage = Folio({"--as", "role:editor", "permissions", root});
  EXPECT_NE(manage.code, 0);
  EXPECT_NE(manage.err.find("may not manage"), std::string::npos) << manage.err;
  // A malformed --as is refused, not taken for an administrator.
  CliRun bad = Folio({"--as", "wizard:merlin", "delete", root});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("--as"), std::string::npos) << bad.err;
  EXPECT_EQ(json::parse(Ok({"get", root, "--status", "draft"}))["data"]["data"]["n"], 1);
}

TEST_F(CliTest, DataIsStoredExactlyAndCheckedAgainstTheTypesJsonSchema) {
  Ok({"types", "add", "--json",
      R"({"id":"card","queryableFields":[],"settings":{"jsonSchema":)"
      R"({"type":"object","properties":{"n":{"type":"number","maximum":10}}}}})"});
  const std::string data = R"({"z":1e2,"n":2.50,"big":12345678901234567890123})";
  std::string out = Ok({"put", "--type", "card", "--data", data});
  EXPECT_NE(out.find("\"data\":" + data), std::string::npos) << out;
  const std::string root = json::parse(out)["data"]["root_id"];
  std::string patched = Ok({"patch", root, "--data", R"({"n":3.0})"});
  EXPECT_NE(patched.find(R"("data":{"z":1e2,"n":3.0,"big":12345678901234567890123})"),
            std::string::npos)
      << patched;
  CliRun bad = Folio({"patch", root, "--data", R"({"n":11})"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("/n"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("maximum"), std::string::npos) << bad.err;
  CliRun bad_schema = Folio({"types", "add", "--json",
                             R"({"id":"bad","queryableFields":[],"settings":{"jsonSchema":7}})"});
  EXPECT_NE(bad_schema.code, 0);
  EXPECT_NE(bad_schema.err.find("jsonSchema"), std::string::npos) << bad_schema.err;
}

// ---- The command itself (issue 14, item 3) --------------------------------------------------

TEST_F(CliTest, VersionPrintsTheVersionAndUnknownCommandsSuggestTheClosest) {
  CliRun version = Folio({"--version"});
  EXPECT_EQ(version.code, 0) << version.err;
  EXPECT_EQ(version.out.rfind("folio " + std::string(FolioVersion()) + " (SQLite ", 0), 0u)
      << version.out;
  CliRun typo = Folio({"qurey", "--type", "post"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("unknown command 'qurey'; did you mean 'query'?"), std::string::npos)
      << typo.err;
  CliRun far = Folio({"frobnicate"});
  EXPECT_EQ(far.code, 2);
  EXPECT_NE(far.err.find("unknown command 'frobnicate'"), std::string::npos) << far.err;
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
  // Global options and their values are not taken for the command.
  CliRun known = Folio({"--tenant", "qurey", "init"});
  EXPECT_EQ(known.code, 0) << known.err;
  EXPECT_EQ(ClosestMatch("serv", {"seed", "serve", "stats"}), "serve");
  EXPECT_EQ(ClosestMatch("xyz", {"seed", "serve"}), "");
}

// ---- Configuration: `folio config` and where settings come from -----------------------------

// Sets environment variables for one test and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<std::string, std::string>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class CliConfigTest : public CliTest {
 protected:
  // A config file in the data dir that sets listen and keep-versions (the latter overridden
  // by the environment in these tests).
  std::string ConfigFile() {
    const std::string path = (dir_.path() / "folio.json").string();
    std::ofstream(path) << R"({"listen": "127.0.0.1:9191", "keep-versions": 3})";
    return path;
  }
};

TEST_F(CliConfigTest, ConfigPrintsEachSettingWithItsSourceAndOpensNothing) {
  const std::string file = ConfigFile();
  ScopedEnv env({{"FOLIO_KEEP_VERSIONS", "7"}, {"FOLIO_TOKEN", "hunter2-secret"}});
  const std::string out = Ok({"--config", file, "config", "--page-ttl-ms", "250"});
  EXPECT_NE(out.find("data-dir = " + dir_.str() + "  (flag)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("page-ttl-ms = 250  (flag)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("keep-versions = 7  (env FOLIO_KEEP_VERSIONS)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("listen = 127.0.0.1:9191  (file " + file + ")\n"), std::string::npos) << out;
  EXPECT_NE(out.find("l1-bytes = 256MiB  (default)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("token = ***  (env FOLIO_TOKEN)\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  // Nothing was opened or created: the data dir holds only the config file.
  std::vector<std::string> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    entries.push_back(entry.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"folio.json"});
}

TEST_F(CliConfigTest, ConfigJsonGivesEachValueAndSource) {
  const std::string file = ConfigFile();
  ScopedEnv env({{"FOLIO_CONFIG", file}, {"FOLIO_KEEP_VERSIONS", "7"}, {"FOLIO_TOKEN", "t0k"}});
  // serve's flags are config's too, so it shows what `serve` would run with.
  const json j = json::parse(Ok({"config", "--json", "--l1-bytes", "64MiB", "--no-access-log"}));
  EXPECT_EQ(j["l1-bytes"], json({{"value", 64 << 20}, {"source", "flag"}}));
  EXPECT_EQ(j["access-log"], json({{"value", false}, {"source", "flag"}}));
  EXPECT_EQ(j["keep-versions"], json({{"value", 7}, {"source", "env FOLIO_KEEP_VERSIONS"}}));
  EXPECT_EQ(j["listen"], json({{"value", "127.0.0.1:9191"}, {"source", "file " + file}}));
  EXPECT_EQ(j["durability"], json({{"value", "full"}, {"source", "default"}}));
  EXPECT_EQ(j["token"], json({{"value", "***"}, {"source", "env FOLIO_TOKEN"}}));
  EXPECT_EQ(j["db"]["value"], (dir_.path() / "folio.sqlite").string());
}

TEST_F(CliConfigTest, SettingsReachTheEngineAndBadOnesAreUsageErrors) {
  Ok({"init"});
  {
    ScopedEnv env({{"FOLIO_L2_BYTES", "8MiB"}});
    const std::string stats = Ok({"stats"});
    EXPECT_NE(stats.find("\"map_size_bytes\":8388608"), std::string::npos) << stats;
  }
  {
    ScopedEnv env({{"FOLIO_SQLITE_THREADS", "0"}});
    CliRun bad = Folio({"stats"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("FOLIO_SQLITE_THREADS: '0' is out of range: 1..256"), std::string::npos)
        << bad.err;
  }
  CliRun flag = Folio({"stats", "--l2-bytes", "1GB"});
  EXPECT_EQ(flag.code, 2);
  EXPECT_NE(flag.err.find("--l2-bytes: '1GB'"), std::string::npos) << flag.err;
  // serve --config still works, and a bad file stops it before it listens.
  const std::string file = (dir_.path() / "bad.json").string();
  std::ofstream(file) << R"({"listen": "127.0.0.1:0", "lisen": "x"})";
  CliRun serve = Folio({"serve", "--config", file});
  EXPECT_EQ(serve.code, 2);
  EXPECT_NE(serve.err.find("unknown key 'lisen'; did you mean 'listen'?"), std::string::npos)
      << serve.err;
  CliRun missing = Folio({"--config", file + ".missing", "stats"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find(".missing"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace folio::app
