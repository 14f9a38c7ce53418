// SonicJS's document model through the HTTP service (issue 12): types in SonicJS's DocumentType
// format, the document columns beside data, reads by slug (and their cache), children in
// sort_order, versions and restoring one, references (referrers, strong references blocking a
// delete), types without versioning and global types. Each case checks the good path and that
// bad input is a clear 4xx which writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/http_fixture.h"

namespace folio::app {
namespace {

using namespace folio::app::http_testing;  // NOLINT: the harness's names read as local ones
using ::testing::HasSubstr;

class SonicJsModelTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerTest::SetUp();
    StartServer();
  }

  // POST /v1/types with `def`; the registered type (the response's "data").
  json RegisterType(Client& c, const json& def) {
    auto res = c.Do(http::verb::post, "/v1/types", def.dump(), Auth());
    EXPECT_EQ(res.result_int(), 200u) << def.dump() << " -> " << res.body();
    return Body(res)["data"];
  }

  // A request with the token and a JSON body.
  static Response Send(Client& c, http::verb verb, const std::string& target,
                       const json& body = nullptr) {
    return c.Do(verb, target, body.is_null() ? "" : body.dump(), Auth());
  }

  // The root ids of `tenant`'s documents of `type` on `status`'s axis (first 100).
  std::vector<std::string> Listed(Client& c, const std::string& type,
                                  const std::string& status = "draft",
                                  const std::string& tenant = "default") {
    auto res =
        c.Get("/v1/" + tenant + "/types/" + type + "/documents?limit=100&status=" + status, Auth());
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return RootIds(Body(res));
  }

  // The version numbers GET …/versions lists for `root` (first page of 100).
  std::vector<int64_t> VersionNumbers(Client& c, const std::string& root) {
    auto res = c.Get("/v1/default/documents/" + root + "/versions?limit=100", Auth());
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    const json page = Body(res);  // kept: the loop must not walk into a destroyed temporary
    std::vector<int64_t> out;
    for (const auto& d : page["data"])
      out.push_back(d["version"].get<int64_t>());
    return out;
  }
};

// ---- Types ---------------------------------------------------------------------------------

// A SonicJS DocumentType registers as given and is answered in SonicJS's shape and folio's
// short form at once; the answer itself registers again unchanged.
TEST_F(SonicJsModelTest, TypesAcceptSonicJsDocumentTypeAndAnswerBothForms) {
  Client c = Connect();
  const json settings = {{"versioning", false},
                         {"maxVersionsPerRoot", 5},
                         {"global", false},
                         {"baseGrants", {{"public", {"read"}}}},
                         {"pii", true}};  // a key folio does not interpret: kept as given
  const json def = {{"id", "article"},
                    {"displayName", "Article"},
                    {"description", "News articles"},
                    {"queryableFields",
                     {{{"name", "views"}, {"kind", "scalar"}, {"type", "integer"}},
                      {{"name", "author"}, {"path", "$.meta.author"}, {"kind", "scalar"}},
                      {{"name", "tags"}, {"kind", "facet"}},
                      {{"name", "related"}, {"kind", "reference"}, {"refStrength", "strong"}},
                      {{"name", "see_also"}, {"kind", "reference"}}}},
                    {"settings", settings}};
  auto res = Send(c, http::verb::post, "/v1/types", def);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  const json t = Body(res)["data"];

  std::set<std::string> keys;
  for (const auto& [k, v] : t.items())
    keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"id", "name", "display_name", "description",
                                         "schema_version", "queryableFields", "settings", "fields",
                                         "facets", "references"}));
  EXPECT_EQ(t["id"], "article");
  EXPECT_EQ(t["name"], "article");
  EXPECT_EQ(t["display_name"], "Article");
  EXPECT_EQ(t["description"], "News articles");
  EXPECT_EQ(t["schema_version"], 1);
  EXPECT_EQ(t["settings"], settings);

  // queryableFields in registration order, each in SonicJS's shape.
  const json& q = t["queryableFields"];
  ASSERT_TRUE(q.is_array()) << t.dump();
  ASSERT_EQ(q.size(), 5u) << t.dump();
  EXPECT_EQ(q[0]["name"], "views");
  EXPECT_EQ(q[0]["kind"], "scalar");
  EXPECT_EQ(q[0]["type"], "integer");
  EXPECT_EQ(q[0]["column"], "q_article_views");  // derived as SonicJS derives it
  EXPECT_EQ(q[1]["name"], "author");
  EXPECT_EQ(q[1]["path"], "$.meta.author");
  EXPECT_EQ(q[2], (json{{"name", "tags"}, {"kind", "facet"}}));
  EXPECT_EQ(q[3]["name"], "related");
  EXPECT_EQ(q[3]["kind"], "reference");
  EXPECT_EQ(q[3]["refStrength"], "strong");
  EXPECT_EQ(q[4]["name"], "see_also");
  EXPECT_EQ(q[4]["kind"], "reference");
  EXPECT_NE(q[4].value("refStrength", "weak"), "strong");  // absent reads as weak

  // The short form, consistent with the full one.
  EXPECT_EQ(t["fields"], (json{{"views", "integer"}, {"author", "text"}}));
  EXPECT_EQ(t["facets"], json::array({"tags"}));
  EXPECT_EQ(t["references"], json::array({"related", "see_also"}));

  // Read back one by one and in the list, identical.
  auto one = c.Get("/v1/types/article");
  ASSERT_EQ(one.result_int(), 200u) << one.body();
  EXPECT_EQ(Body(one)["data"], t);
  auto list = c.Get("/v1/types");
  ASSERT_EQ(list.result_int(), 200u) << list.body();
  ASSERT_EQ(Body(list)["data"].size(), 1u);
  EXPECT_EQ(Body(list)["data"][0], t);

  // What the service answered registers again as it is: nothing moves.
  auto again = Send(c, http::verb::post, "/v1/types", t);
  ASSERT_EQ(again.result_int(), 200u) << again.body();
  EXPECT_EQ(Body(again)["data"], t);

  // A new field in the full form is added; the settings, not given, stay; the schema moves.
  const json more = RegisterType(
      c, {{"id", "article"},
          {"queryableFields", {{{"name", "rating"}, {"kind", "scalar"}, {"type", "number"}}}}});
  EXPECT_EQ(more["fields"]["rating"], "number");
  EXPECT_EQ(more["fields"]["views"], "integer");
  EXPECT_EQ(more["queryableFields"].size(), 6u);
  EXPECT_EQ(more["settings"], settings);
  EXPECT_GT(more["schema_version"].get<int64_t>(), 1);

  // The short form alone registers with versioning on.
  const json short_form =
      RegisterType(c, {{"id", "note"}, {"fields", {{"n", "integer"}}}, {"facets", {"tags"}}});
  EXPECT_EQ(short_form["settings"], (json{{"versioning", true}}));
  EXPECT_EQ(short_form["fields"], (json{{"n", "integer"}}));
  EXPECT_EQ(short_form["facets"], json::array({"tags"}));
  EXPECT_EQ(short_form["references"], json::array());
  EXPECT_EQ(short_form["display_name"], "note");  // defaults to the id

  EXPECT_EQ(c.Get("/v1/types/nope").result_int(), 404u);
  EXPECT_EQ(ErrorCodeOf(c.Get("/v1/types/nope")), "not_found");
}

// Bad type bodies are 400 "bad_request" naming what is wrong, and register nothing.
TEST_F(SonicJsModelTest, BadTypeDefinitionsAre400NamingTheProblemAndRegisterNothing) {
  Client c = Connect();
  auto field = [](json f) {
    return json{{"id", "x"}, {"queryableFields", json::array({std::move(f)})}};
  };
  struct Case {
    json body;
    std::string named;  // a part of the message
  };
  const std::vector<Case> cases = {
      {{{"id", "x"}, {"queryableFields", json::object()}}, "queryableFields"},
      {field({{"name", "a"}, {"kind", "vector"}}), "vector"},
      {field({{"name", "a"}}), "kind"},
      {field({{"kind", "scalar"}}), "name"},
      {field({{"name", "a"}, {"kind", "scalar"}, {"type", "blob"}}), "blob"},
      {field({{"name", "a"}, {"kind", "reference"}, {"refStrength", "medium"}}), "medium"},
      {field({{"name", "a"}, {"kind", "scalar"}, {"bogus", 1}}), "bogus"},
      {field({{"name", "a"}, {"kind", 3}}), "kind"},
      {field({{"name", "a"}, {"kind", "scalar"}, {"refStrength", "strong"}}), "refStrength"},
      {field({{"name", "a"}, {"kind", "reference"}, {"type", "text"}}), "'a'"},
      {field({{"name", "a"}, {"kind", "facet"}, {"column", "q_x_a"}}), "column"},
      {field({{"name", "a"}, {"kind", "scalar"}, {"column", "views"}}), "views"},
      {field({{"name", "a"}, {"kind", "scalar"}, {"path", "meta.a"}}), "meta.a"},
      {field({{"name", "1abc"}, {"kind", "scalar"}}), "1abc"},
      {{{"id", "x"},
        {"queryableFields",
         {{{"name", "a"}, {"kind", "scalar"}}, {{"name", "a"}, {"kind", "facet"}}}}},
       "twice"},
      {{{"id", "x"}, {"colour", "red"}}, "colour"},
      {{{"id", "x"}, {"name", "y"}}, "name"},
      {{{"id", "Bad Id"}}, "Bad Id"},
      {{{"id", "x"}, {"settings", json::array()}}, "settings"},
      {{{"id", "x"}, {"settings", {{"versioning", "yes"}}}}, "versioning"},
      {{{"id", "x"}, {"settings", {{"global", 1}}}}, "global"},
      {{{"id", "x"}, {"settings", {{"maxVersionsPerRoot", 0}}}}, "maxVersionsPerRoot"},
      {{{"id", "x"}, {"settings", {{"baseGrants", {{"public", {"fly"}}}}}}}, "fly"},
      {{{"id", "x"}, {"settings", {{"baseGrants", {{"public", "read"}}}}}}, "baseGrants"},
      {{{"id", "x"}, {"displayName", 5}}, "displayName"},
  };
  for (const auto& bad : cases) {
    auto res = Send(c, http::verb::post, "/v1/types", bad.body);
    EXPECT_EQ(res.result_int(), 400u) << bad.body.dump() << " -> " << res.body();
    if (res.result_int() != 400u) continue;
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << bad.body.dump();
    EXPECT_THAT(MessageOf(res), HasSubstr(bad.named)) << bad.body.dump();
  }
  // Nothing was registered by any of them.
  EXPECT_EQ(c.Get("/v1/types/x").result_int(), 404u);
  auto list = c.Get("/v1/types");
  ASSERT_EQ(list.result_int(), 200u);
  EXPECT_EQ(Body(list)["data"], json::array()) << list.body();
  // And registration needs the token.
  auto anonymous = c.Do(http::verb::post, "/v1/types", R"({"id":"x"})");
  EXPECT_EQ(anonymous.result_int(), 401u);
  EXPECT_EQ(c.Get("/v1/types/x").result_int(), 404u);
}

// A field registered again must keep its kind, role and path: otherwise 409 naming it, and
// the type is left as it was.
TEST_F(SonicJsModelTest, ReRegisteringAFieldAsSomethingElseIs409) {
  Client c = Connect();
  const json before =
      RegisterType(c, {{"id", "article"},
                       {"queryableFields",
                        {{{"name", "views"}, {"kind", "scalar"}, {"type", "integer"}},
                         {{"name", "author"}, {"path", "$.meta.author"}, {"kind", "scalar"}},
                         {{"name", "tags"}, {"kind", "facet"}},
                         {{"name", "related"}, {"kind", "reference"}}}},
                       {"settings", {{"versioning", false}}}});
  auto field = [](json f) {
    return json{{"id", "article"}, {"queryableFields", json::array({std::move(f)})}};
  };
  struct Case {
    json body;
    std::string named;
  };
  const std::vector<Case> cases = {
      {field({{"name", "views"}, {"kind", "facet"}}), "views"},                       // role
      {field({{"name", "views"}, {"kind", "scalar"}, {"type", "text"}}), "views"},    // kind
      {field({{"name", "author"}, {"kind", "scalar"}, {"path", "$.by"}}), "author"},  // path
      {field({{"name", "tags"}, {"kind", "reference"}}), "tags"},
      {field({{"name", "related"}, {"kind", "scalar"}}), "related"},
      {{{"id", "article"}, {"fields", {{"tags", "text"}}}}, "tags"},  // the short form too
      {{{"id", "article"}, {"fields", {{"views", "date"}}}}, "views"},
  };
  for (const auto& bad : cases) {
    auto res = Send(c, http::verb::post, "/v1/types", bad.body);
    EXPECT_EQ(res.result_int(), 409u) << bad.body.dump() << " -> " << res.body();
    if (res.result_int() != 409u) continue;
    EXPECT_EQ(ErrorCodeOf(res), "conflict");
    EXPECT_THAT(MessageOf(res), HasSubstr(bad.named)) << bad.body.dump();
  }
  auto after = c.Get("/v1/types/article");
  ASSERT_EQ(after.result_int(), 200u);
  EXPECT_EQ(Body(after)["data"], before);
}

// Adding a field in the short form to a type registered in SonicJS's form adds the field and
// leaves the type's settings alone: the short form's {"versioning":true} is for a new type.
// (Otherwise a global type would stop being global, and its documents would vanish from every
// tenant, by adding a field.)
TEST_F(SonicJsModelTest, ShortFormOnAnExistingTypeAddsFieldsAndKeepsItsSettings) {
  Client c = Connect();
  const json settings = {{"global", true}, {"maxVersionsPerRoot", 3}};
  RegisterType(c, {{"id", "country"},
                   {"queryableFields", {{{"name", "code"}, {"kind", "scalar"}}}},
                   {"settings", settings}});
  const std::string root =
      CreateDoc(c, "country", {{"code", "fr"}}, /*publish=*/true, "a", {{"slug", "france"}});

  const json t = RegisterType(c, {{"id", "country"}, {"fields", {{"population", "integer"}}}});
  EXPECT_EQ(t["fields"], (json{{"code", "text"}, {"population", "integer"}}));
  EXPECT_EQ(t["settings"], settings);
  // Still global: the document is read, and listed, from another tenant.
  EXPECT_EQ(c.Get("/v1/b/documents/" + root).result_int(), 200u);
  auto listed = c.Get("/v1/b/types/country/documents");
  ASSERT_EQ(listed.result_int(), 200u) << listed.body();
  EXPECT_EQ(RootIds(Body(listed)), std::vector<std::string>{root}) << listed.body();
}

// ---- Documents -----------------------------------------------------------------------------

// A document's JSON carries SonicJS's columns beside data; bad values for them are 400.
TEST_F(SonicJsModelTest, DocumentJsonCarriesSonicJsColumns) {
  Client c = Connect();
  RegisterPostType(c);
  const std::string parent = CreateDoc(c, "post", {{"title", "parent"}}, false);
  auto created = Send(c, http::verb::post, "/v1/default/types/post/documents",
                      {{"data", {{"title", "Hello"}}},
                       {"slug", "hello"},
                       {"title", "Hello there"},
                       {"parent_root_id", parent},
                       {"sort_order", 7},
                       {"scheduled_at", 100},
                       {"expires_at", 4000000000}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const json d = Body(created)["data"];
  for (const char* key :
       {"id",         "root_id",    "version",    "type",         "tenant",         "locale",
        "status",     "slug",       "title",      "path",         "parent_root_id", "sort_order",
        "data",       "created_at", "updated_at", "published_at", "scheduled_at",   "expires_at",
        "created_by", "updated_by"}) {
    EXPECT_TRUE(d.contains(key)) << key << " missing from " << d.dump();
  }
  EXPECT_EQ(d["slug"], "hello");
  EXPECT_EQ(d["title"], "Hello there");
  EXPECT_EQ(d["parent_root_id"], parent);
  EXPECT_EQ(d["sort_order"], 7);
  EXPECT_EQ(d["scheduled_at"], 100);
  EXPECT_EQ(d["expires_at"], 4000000000);
  EXPECT_EQ(d["version"], 1);
  EXPECT_EQ(d["locale"], "default");
  EXPECT_TRUE(d["published_at"].is_null());

  // A top-level document's parent is "", its sort_order 0.
  auto top = c.Get("/v1/default/documents/" + parent + "?status=draft", Auth());
  ASSERT_EQ(top.result_int(), 200u);
  EXPECT_EQ(Body(top)["data"]["parent_root_id"], "");
  EXPECT_EQ(Body(top)["data"]["sort_order"], 0);

  // A PATCH that names none of them keeps them.
  auto patched =
      Send(c, http::verb::patch, "/v1/default/documents/" + d["root_id"].get<std::string>(),
           {{"data", {{"views", 2}}}});
  ASSERT_EQ(patched.result_int(), 200u) << patched.body();
  const json p = Body(patched)["data"];
  EXPECT_EQ(p["slug"], "hello");
  EXPECT_EQ(p["title"], "Hello there");
  EXPECT_EQ(p["parent_root_id"], parent);
  EXPECT_EQ(p["sort_order"], 7);

  // Bad values: 400, nothing created.
  const auto drafts = Listed(c, "post");
  for (const json& bad : {json{{"data", json::object()}, {"sort_order", "first"}},
                          json{{"data", json::object()}, {"sort_order", 1.5}},
                          json{{"data", json::object()}, {"parent_root_id", 5}},
                          json{{"data", json::object()}, {"parent_root_id", "no-such-root"}},
                          json{{"data", json::object()}, {"title", false}}}) {
    auto res = Send(c, http::verb::post, "/v1/default/types/post/documents", bad);
    EXPECT_EQ(res.result_int(), 400u) << bad.dump() << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << bad.dump();
  }
  EXPECT_EQ(Listed(c, "post"), drafts);
}

// ---- Reads by slug -------------------------------------------------------------------------

// GET …/by-slug/{slug}: the published row for everyone; with the token and no status the
// published row else the current draft (SonicJS's getBySlug); drafts need the token.
TEST_F(SonicJsModelTest, BySlugReadsPublishedElseDraftAndDraftsNeedTheToken) {
  Client c = Connect();
  RegisterPostType(c);
  const std::string base = "/v1/default/types/post/documents/by-slug/";
  const std::string root =
      CreateDoc(c, "post", {{"title", "v1"}}, false, "default", {{"slug", "hello"}});

  // Only a draft: not public; the token reads it.
  auto pub = c.Get(base + "hello");
  EXPECT_EQ(pub.result_int(), 404u) << pub.body();
  EXPECT_EQ(ErrorCodeOf(pub), "not_found");
  auto any = c.Get(base + "hello", Auth());
  ASSERT_EQ(any.result_int(), 200u) << any.body();
  EXPECT_EQ(Body(any)["data"]["root_id"], root);
  EXPECT_EQ(Body(any)["data"]["status"], "draft");
  EXPECT_EQ(Header(any, "Cache-Control"), "private, no-store");
  EXPECT_EQ(c.Get(base + "hello?status=draft", Auth()).result_int(), 200u);
  EXPECT_EQ(c.Get(base + "hello?status=any", Auth()).result_int(), 200u);
  EXPECT_EQ(c.Get(base + "hello?status=published", Auth()).result_int(), 404u);

  // Drafts and "any" need the token.
  for (const char* q : {"?status=draft", "?status=any"}) {
    auto res = c.Get(base + "hello" + q);
    EXPECT_EQ(res.result_int(), 401u) << q;
    EXPECT_EQ(ErrorCodeOf(res), "unauthorized") << q;
    EXPECT_EQ(c.Get(base + "hello" + q, {{"Authorization", "Bearer wrong"}}).result_int(), 401u);
  }

  // Published, then a newer draft: the public and the token's plain read answer the
  // published row; status=draft the draft.
  ASSERT_EQ(Send(c, http::verb::post, "/v1/default/documents/" + root + "/publish").result_int(),
            200u);
  ASSERT_EQ(
      Send(c, http::verb::patch, "/v1/default/documents/" + root, {{"data", {{"title", "v2"}}}})
          .result_int(),
      200u);
  auto published = c.Get(base + "hello");
  ASSERT_EQ(published.result_int(), 200u) << published.body();
  EXPECT_EQ(Body(published)["data"]["data"]["title"], "v1");
  EXPECT_EQ(Body(published)["data"]["status"], "published");
  EXPECT_EQ(Header(published, "Cache-Control"), "public, max-age=0, must-revalidate");
  auto token_plain = c.Get(base + "hello", Auth());
  ASSERT_EQ(token_plain.result_int(), 200u);
  EXPECT_EQ(Body(token_plain)["data"]["data"]["title"], "v1");
  auto token_draft = c.Get(base + "hello?status=draft", Auth());
  ASSERT_EQ(token_draft.result_int(), 200u);
  EXPECT_EQ(Body(token_draft)["data"]["data"]["title"], "v2");

  // Bad parameters are 400; other tenants, types and slugs are 404.
  for (const char* q : {"?status=archived", "?status=", "?bogus=1", "?limit=5"}) {
    auto res = c.Get(base + "hello" + q, Auth());
    EXPECT_EQ(res.result_int(), 400u) << q << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << q;
  }
  EXPECT_EQ(c.Get("/v1/other/types/post/documents/by-slug/hello").result_int(), 404u);
  EXPECT_EQ(c.Get(base + "nope").result_int(), 404u);
  EXPECT_EQ(c.Get(base + "hello?locale=fr").result_int(), 404u);
  auto unknown_type = c.Get("/v1/default/types/nosuch/documents/by-slug/hello");
  EXPECT_GE(unknown_type.result_int(), 400u);
  EXPECT_LT(unknown_type.result_int(), 500u) << unknown_type.body();
  // Only GET.
  EXPECT_EQ(c.Do(http::verb::post, base + "hello", "{}", Auth()).result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::delete_, base + "hello", "", Auth()).result_int(), 405u);
}

// The locale selects among documents sharing a slug.
TEST_F(SonicJsModelTest, BySlugHonoursTheLocale) {
  Client c = Connect();
  RegisterPostType(c);
  const std::string base = "/v1/default/types/post/documents/by-slug/accueil";
  const std::string fr = CreateDoc(c, "post", {{"title", "fr"}}, true, "default",
                                   {{"slug", "accueil"}, {"locale", "fr"}});
  const std::string def =
      CreateDoc(c, "post", {{"title", "default"}}, true, "default", {{"slug", "accueil"}});
  auto in_fr = c.Get(base + "?locale=fr");
  ASSERT_EQ(in_fr.result_int(), 200u) << in_fr.body();
  EXPECT_EQ(Body(in_fr)["data"]["root_id"], fr);
  EXPECT_EQ(Body(in_fr)["data"]["locale"], "fr");
  auto plain = c.Get(base);
  ASSERT_EQ(plain.result_int(), 200u) << plain.body();
  EXPECT_EQ(Body(plain)["data"]["root_id"], def);
  EXPECT_EQ(c.Get(base + "?locale=de").result_int(), 404u);
}

// By-slug reads are cached like a single GET (MISS from the database, then HIT from memory)
// and are never stale: a publish of new content, or of a new slug, shows on the next read.
TEST_F(SonicJsModelTest, BySlugIsCachedAndFreshAfterEveryWrite) {
  Client c = Connect();
  RegisterPostType(c);
  const std::string base = "/v1/default/types/post/documents/by-slug/";
  const std::string root =
      CreateDoc(c, "post", {{"title", "one"}}, true, "default", {{"slug", "first"}});
  const std::string doc = "/v1/default/documents/" + root;

  auto miss = c.Get(base + "first");
  ASSERT_EQ(miss.result_int(), 200u) << miss.body();
  EXPECT_EQ(Header(miss, "X-Cache-Status"), "MISS");
  EXPECT_EQ(Header(miss, "X-Cache-Source"), "database");
  EXPECT_EQ(Header(miss, "Content-Type"), "application/json");
  auto hit = c.Get(base + "first");
  ASSERT_EQ(hit.result_int(), 200u);
  EXPECT_EQ(Header(hit, "X-Cache-Status"), "HIT");
  EXPECT_EQ(Header(hit, "X-Cache-Source"), "memory");
  EXPECT_EQ(Body(hit)["data"], Body(miss)["data"]);
  EXPECT_EQ(Body(hit)["data"]["data"]["title"], "one");

  // A draft change does not touch the published read.
  ASSERT_EQ(Send(c, http::verb::patch, doc, {{"data", {{"title", "two"}}}}).result_int(), 200u);
  EXPECT_EQ(Body(c.Get(base + "first"))["data"]["data"]["title"], "one");

  // Publishing new content: the next read shows it, then is cached again.
  ASSERT_EQ(Send(c, http::verb::post, doc + "/publish").result_int(), 200u);
  auto fresh = c.Get(base + "first");
  ASSERT_EQ(fresh.result_int(), 200u);
  EXPECT_EQ(Body(fresh)["data"]["data"]["title"], "two");
  EXPECT_EQ(Header(fresh, "X-Cache-Status"), "MISS");
  EXPECT_EQ(Header(c.Get(base + "first"), "X-Cache-Status"), "HIT");

  // A new slug, first as a draft: the published read keeps the old slug until the publish.
  auto second = c.Get(base + "second");
  EXPECT_EQ(second.result_int(), 404u);
  EXPECT_EQ(c.Get(base + "second").result_int(), 404u);  // a cached "nothing", if any
  ASSERT_EQ(Send(c, http::verb::put, doc, {{"data", {{"title", "three"}}}, {"slug", "second"}})
                .result_int(),
            200u);
  EXPECT_EQ(c.Get(base + "first").result_int(), 200u);
  EXPECT_EQ(c.Get(base + "second").result_int(), 404u);
  auto draft_read = c.Get(base + "second?status=draft", Auth());
  ASSERT_EQ(draft_read.result_int(), 200u) << draft_read.body();
  EXPECT_EQ(Body(draft_read)["data"]["data"]["title"], "three");
  ASSERT_EQ(Send(c, http::verb::post, doc + "/publish").result_int(), 200u);
  EXPECT_EQ(c.Get(base + "first").result_int(), 404u);
  auto renamed = c.Get(base + "second");
  ASSERT_EQ(renamed.result_int(), 200u) << renamed.body();
  EXPECT_EQ(Body(renamed)["data"]["data"]["title"], "three");
  EXPECT_EQ(Body(renamed)["data"]["slug"], "second");

  // Unpublish and delete: gone on the very next read.
  ASSERT_EQ(Header(c.Get(base + "second"), "X-Cache-Status"), "HIT");
  ASSERT_EQ(Send(c, http::verb::post, doc + "/unpublish").result_int(), 200u);
  EXPECT_EQ(c.Get(base + "second").result_int(), 404u);
  EXPECT_EQ(c.Get(base + "second", Auth()).result_int(), 200u);  // the draft, for the token
  ASSERT_EQ(Send(c, http::verb::delete_, doc).result_int(), 204u);
  EXPECT_EQ(c.Get(base + "second", Auth()).result_int(), 404u);
}

// ---- Children ------------------------------------------------------------------------------

// ?parent={root}&sort=sort_order lists the children in their order, in keyset pages; the
// order follows a move on the next read; a bad parent is 400 and writes nothing.
TEST_F(SonicJsModelTest, ChildrenListInSortOrderInKeysetPages) {
  Client c = Connect();
  RegisterPostType(c);
  const std::string parent = CreateDoc(c, "post", {{"title", "menu"}}, true);
  const std::string other = CreateDoc(c, "post", {{"title", "elsewhere"}}, true);
  auto child = [&](const std::string& title, int order) {
    return CreateDoc(c, "post", {{"title", title}}, true, "default",
                     {{"parent_root_id", parent}, {"sort_order", order}});
  };
  const std::string c3 = child("c", 30);
  const std::string c1 = child("a", 10);
  const std::string c2 = child("b", 20);
  const std::string c2b = child("b2", 20);  // a tie: broken by id, still listed once
  CreateDoc(c, "post", {{"title", "grandchild"}}, true, "default", {{"parent_root_id", c1}});

  const std::string listing =
      "/v1/default/types/post/documents?parent=" + parent + "&sort=sort_order&order=asc";
  auto all = c.Get(listing);
  ASSERT_EQ(all.result_int(), 200u) << all.body();
  const std::vector<std::string> ids = RootIds(Body(all));
  ASSERT_EQ(ids.size(), 4u) << all.body();
  EXPECT_EQ(ids[0], c1);
  EXPECT_THAT((std::vector<std::string>{ids[1], ids[2]}), ::testing::UnorderedElementsAre(c2, c2b));
  EXPECT_EQ(ids[3], c3);
  const json all_page = Body(all);
  for (const auto& d : all_page["data"])
    EXPECT_EQ(d["parent_root_id"], parent);

  // Pages of one, following next_cursor: the same order, each child once.
  std::vector<std::string> walked;
  std::string cursor;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10) << "the walk does not end";
    auto res = c.Get(listing + "&limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    const json page = Body(res);
    for (const auto& id : RootIds(page))
      walked.push_back(id);
    if (page["meta"]["next_cursor"].is_null()) break;
    cursor = page["meta"]["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(walked, ids);

  // Descending is the reverse; parent= (empty) lists the top level.
  auto desc =
      c.Get("/v1/default/types/post/documents?parent=" + parent + "&sort=sort_order&order=desc");
  ASSERT_EQ(desc.result_int(), 200u);
  EXPECT_EQ(RootIds(Body(desc)).front(), c3);
  EXPECT_EQ(RootIds(Body(desc)).back(), c1);
  auto top = c.Get("/v1/default/types/post/documents?parent=&limit=100");
  ASSERT_EQ(top.result_int(), 200u) << top.body();
  EXPECT_THAT(RootIds(Body(top)), ::testing::UnorderedElementsAre(parent, other));

  // Moving a child first: shown on the next read of the (cached) listing.
  ASSERT_EQ(Header(c.Get(listing), "X-Cache-Status"), "HIT");
  ASSERT_EQ(Send(c, http::verb::patch, "/v1/default/documents/" + c3,
                 {{"data", json::object()}, {"sort_order", 1}})
                .result_int(),
            200u);
  ASSERT_EQ(Send(c, http::verb::post, "/v1/default/documents/" + c3 + "/publish").result_int(),
            200u);
  auto moved = c.Get(listing);
  ASSERT_EQ(moved.result_int(), 200u);
  EXPECT_EQ(RootIds(Body(moved)).front(), c3);

  // A parent that is not a document of the tenant, or the document itself: 400, no write.
  const auto before = Listed(c, "post");
  const std::string create = "/v1/default/types/post/documents";
  for (const std::string& bad :
       {std::string("no-such-root"), std::string("00000000-0000-7000-8000-000000000000")}) {
    auto res =
        Send(c, http::verb::post, create, {{"data", json::object()}, {"parent_root_id", bad}});
    EXPECT_EQ(res.result_int(), 400u) << bad << " -> " << res.body();
    EXPECT_THAT(MessageOf(res), HasSubstr(bad));
  }
  const std::string foreign = CreateDoc(c, "post", {{"title", "theirs"}}, true, "other");
  auto cross =
      Send(c, http::verb::post, create, {{"data", json::object()}, {"parent_root_id", foreign}});
  EXPECT_EQ(cross.result_int(), 400u) << cross.body();
  EXPECT_EQ(Listed(c, "post"), before);
  auto self = Send(c, http::verb::patch, "/v1/default/documents/" + c1,
                   {{"data", json::object()}, {"parent_root_id", c1}});
  EXPECT_EQ(self.result_int(), 400u) << self.body();
  auto c1_now = c.Get("/v1/default/documents/" + c1 + "?status=draft", Auth());
  EXPECT_EQ(Body(c1_now)["data"]["parent_root_id"], parent);
  EXPECT_EQ(c.Get("/v1/default/types/post/documents?sort=sort_order&order=sideways").result_int(),
            400u);
}

// ---- Versions ------------------------------------------------------------------------------

// GET …/versions pages a document's versions newest first; GET …/versions/{n} reads one;
// POST …/versions/{n}/restore makes a new current draft of it. All need the token.
TEST_F(SonicJsModelTest, VersionsListReadAndRestore) {
  Client c = Connect();
  RegisterPostType(c);  // the short form: versioning on
  const std::string root =
      CreateDoc(c, "post", {{"views", 1}}, false, "default", {{"slug", "s1"}, {"title", "T1"}});
  const std::string doc = "/v1/default/documents/" + root;
  ASSERT_EQ(Send(c, http::verb::put, doc, {{"data", {{"views", 2}}}, {"slug", "s2"}}).result_int(),
            200u);
  ASSERT_EQ(Send(c, http::verb::put, doc, {{"data", {{"views", 3}}}}).result_int(), 200u);
  ASSERT_EQ(Send(c, http::verb::post, doc + "/publish").result_int(), 200u);
  ASSERT_EQ(Send(c, http::verb::put, doc, {{"data", {{"views", 4}}}}).result_int(), 200u);

  auto list = c.Get(doc + "/versions", Auth());
  ASSERT_EQ(list.result_int(), 200u) << list.body();
  const json all = Body(list);
  EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{4, 3, 2, 1}));
  EXPECT_EQ(all["meta"]["count"], 4);
  EXPECT_TRUE(all["meta"]["next_cursor"].is_null());
  EXPECT_EQ(all["data"][0]["data"]["views"], 4);
  EXPECT_EQ(all["data"][1]["status"], "published");
  EXPECT_EQ(all["data"][3]["slug"], "s1");

  // Pages of two.
  auto p1 = c.Get(doc + "/versions?limit=2", Auth());
  ASSERT_EQ(p1.result_int(), 200u) << p1.body();
  EXPECT_EQ(Body(p1)["meta"]["count"], 2);
  ASSERT_TRUE(Body(p1)["meta"]["next_cursor"].is_string()) << p1.body();
  EXPECT_EQ(Body(p1)["data"][0]["version"], 4);
  EXPECT_EQ(Body(p1)["data"][1]["version"], 3);
  auto p2 =
      c.Get(doc + "/versions?limit=2&cursor=" + Body(p1)["meta"]["next_cursor"].get<std::string>(),
            Auth());
  ASSERT_EQ(p2.result_int(), 200u) << p2.body();
  EXPECT_EQ(Body(p2)["data"][0]["version"], 2);
  EXPECT_EQ(Body(p2)["data"][1]["version"], 1);
  EXPECT_TRUE(Body(p2)["meta"]["next_cursor"].is_null()) << p2.body();

  // One version.
  auto v2 = c.Get(doc + "/versions/2", Auth());
  ASSERT_EQ(v2.result_int(), 200u) << v2.body();
  EXPECT_EQ(Body(v2)["data"]["version"], 2);
  EXPECT_EQ(Body(v2)["data"]["data"]["views"], 2);
  EXPECT_EQ(Body(v2)["data"]["slug"], "s2");
  EXPECT_EQ(Body(v2)["data"]["root_id"], root);
  auto never = c.Get(doc + "/versions/9", Auth());
  EXPECT_EQ(never.result_int(), 404u) << never.body();
  EXPECT_EQ(ErrorCodeOf(never), "not_found");
  for (const char* bad : {"0", "x", "-1", "1x", "1.5"}) {
    auto res = c.Get(doc + "/versions/" + bad, Auth());
    EXPECT_EQ(res.result_int(), 400u) << bad << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << bad;
    EXPECT_EQ(Send(c, http::verb::post, doc + "/versions/" + bad + "/restore").result_int(), 400u)
        << bad;
  }
  for (const char* bad :
       {"limit=0", "limit=101", "limit=abc", "cursor=zz", "cursor=-3", "bogus=1"}) {
    auto res = c.Get(doc + "/versions?" + bad, Auth());
    EXPECT_EQ(res.result_int(), 400u) << bad << " -> " << res.body();
  }
  EXPECT_EQ(c.Get(doc + "/versions/2?bogus=1", Auth()).result_int(), 400u);

  // The token guards all of it.
  EXPECT_EQ(c.Get(doc + "/versions").result_int(), 401u);
  EXPECT_EQ(c.Get(doc + "/versions/2").result_int(), 401u);
  EXPECT_EQ(c.Do(http::verb::post, doc + "/versions/1/restore").result_int(), 401u);
  EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{4, 3, 2, 1}));  // nothing written

  // Restore version 1: a new draft (5) with its data, slug and title; the published row stays.
  auto restored = Send(c, http::verb::post, doc + "/versions/1/restore");
  ASSERT_EQ(restored.result_int(), 200u) << restored.body();
  const json r = Body(restored)["data"];
  EXPECT_EQ(r["version"], 5);
  EXPECT_EQ(r["status"], "draft");
  EXPECT_EQ(r["data"], (json{{"views", 1}}));
  EXPECT_EQ(r["slug"], "s1");
  EXPECT_EQ(r["title"], "T1");
  EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{5, 4, 3, 2, 1}));
  auto draft = c.Get(doc + "?status=draft", Auth());
  EXPECT_EQ(Body(draft)["data"]["version"], 5);
  auto published = c.Get(doc);
  ASSERT_EQ(published.result_int(), 200u);
  EXPECT_EQ(Body(published)["data"]["data"]["views"], 3);

  // Restoring what never was, or of an unknown document, is 404 and writes nothing.
  EXPECT_EQ(Send(c, http::verb::post, doc + "/versions/99/restore").result_int(), 404u);
  EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ(c.Get("/v1/default/documents/no-such/versions", Auth()).result_int(), 404u);
  EXPECT_EQ(c.Get("/v1/default/documents/no-such/versions/1", Auth()).result_int(), 404u);
  EXPECT_EQ(c.Get("/v1/other/documents/" + root + "/versions", Auth()).result_int(), 404u);
  EXPECT_EQ(
      Send(c, http::verb::post, "/v1/other/documents/" + root + "/versions/1/restore").result_int(),
      404u);
  // Verbs the paths do not take.
  EXPECT_EQ(c.Do(http::verb::post, doc + "/versions", "", Auth()).result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::delete_, doc + "/versions/1", "", Auth()).result_int(), 405u);
  EXPECT_EQ(c.Get(doc + "/versions/1/restore", Auth()).result_int(), 405u);
}

// settings.maxVersionsPerRoot prunes the oldest versions: a pruned version reads as 404.
TEST_F(SonicJsModelTest, PrunedVersionsAre404) {
  Client c = Connect();
  RegisterType(c, {{"id", "kept"},
                   {"queryableFields", {{{"name", "n"}, {"kind", "scalar"}, {"type", "integer"}}}},
                   {"settings", {{"versioning", true}, {"maxVersionsPerRoot", 2}}}});
  const std::string root = CreateDoc(c, "kept", {{"n", 1}}, false);
  const std::string doc = "/v1/default/documents/" + root;
  for (int n = 2; n <= 4; ++n)
    ASSERT_EQ(Send(c, http::verb::put, doc, {{"data", {{"n", n}}}}).result_int(), 200u);
  EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(c.Get(doc + "/versions/1", Auth()).result_int(), 404u);
  EXPECT_EQ(c.Get(doc + "/versions/2", Auth()).result_int(), 404u);
  EXPECT_EQ(c.Get(doc + "/versions/3", Auth()).result_int(), 200u);
  EXPECT_EQ(Send(c, http::verb::post, doc + "/versions/1/restore").result_int(), 404u);
}

// ---- Versioning off ------------------------------------------------------------------------

// A type without versioning (SonicJS's default) keeps at most a draft and a published row:
// an unpublished draft is edited in place; a publish drops the superseded published row.
TEST_F(SonicJsModelTest, TypesWithoutVersioningEditInPlaceAndKeepTwoRows) {
  Client c = Connect();
  // Both ways of asking for SonicJS's default: settings without versioning, and
  // queryableFields without settings.
  const json by_settings = RegisterType(
      c, {{"id", "page"}, {"fields", {{"n", "integer"}}}, {"settings", json::object()}});
  EXPECT_FALSE(by_settings["settings"].value("versioning", false));
  const json by_fields = RegisterType(
      c, {{"id", "block"},
          {"queryableFields", {{{"name", "n"}, {"kind", "scalar"}, {"type", "integer"}}}}});
  EXPECT_FALSE(by_fields["settings"].value("versioning", false));

  for (const char* type : {"page", "block"}) {
    SCOPED_TRACE(type);
    auto created =
        Send(c, http::verb::post, std::string("/v1/default/types/") + type + "/documents",
             {{"data", {{"n", 1}}}});
    ASSERT_EQ(created.result_int(), 201u) << created.body();
    const json first = Body(created)["data"];
    const std::string root = first["root_id"];
    const std::string doc = "/v1/default/documents/" + root;

    // In place: same row id, still version 1, one row.
    auto put = Send(c, http::verb::put, doc, {{"data", {{"n", 2}}}});
    ASSERT_EQ(put.result_int(), 200u) << put.body();
    EXPECT_EQ(Body(put)["data"]["version"], 1);
    EXPECT_EQ(Body(put)["data"]["id"], first["id"]);
    auto patch = Send(c, http::verb::patch, doc, {{"data", {{"m", true}}}});
    ASSERT_EQ(patch.result_int(), 200u);
    EXPECT_EQ(Body(patch)["data"]["version"], 1);
    EXPECT_EQ(Body(patch)["data"]["id"], first["id"]);
    EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{1}));
    EXPECT_EQ(Body(c.Get(doc + "/versions/1", Auth()))["data"]["data"],
              (json{{"n", 2}, {"m", true}}));

    // Published, then edited: a second row; the published one still answers the public.
    ASSERT_EQ(Send(c, http::verb::post, doc + "/publish").result_int(), 200u);
    auto edit = Send(c, http::verb::put, doc, {{"data", {{"n", 3}}}});
    ASSERT_EQ(edit.result_int(), 200u);
    EXPECT_EQ(Body(edit)["data"]["version"], 2);
    EXPECT_NE(Body(edit)["data"]["id"], first["id"]);
    EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{2, 1}));
    EXPECT_EQ(Body(c.Get(doc))["data"]["data"]["n"], 2);
    // A second edit of that draft is in place again.
    auto edit2 = Send(c, http::verb::put, doc, {{"data", {{"n", 4}}}});
    EXPECT_EQ(Body(edit2)["data"]["version"], 2);
    EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{2, 1}));

    // Publishing deletes the superseded published row.
    ASSERT_EQ(Send(c, http::verb::post, doc + "/publish").result_int(), 200u);
    EXPECT_EQ(VersionNumbers(c, root), (std::vector<int64_t>{2}));
    EXPECT_EQ(c.Get(doc + "/versions/1", Auth()).result_int(), 404u);
    auto pub = c.Get(doc);
    ASSERT_EQ(pub.result_int(), 200u);
    EXPECT_EQ(Body(pub)["data"]["data"]["n"], 4);
    EXPECT_EQ(Body(pub)["data"]["version"], 2);
  }
}

// ---- References ----------------------------------------------------------------------------

// Reference fields hold root ids of documents of the tenant; anything else is 400 with
// nothing written. GET …/referrers lists who refers to a document.
TEST_F(SonicJsModelTest, ReferencesAreCheckedAndListedAsReferrers) {
  Client c = Connect();
  RegisterType(c, {{"id", "author"}, {"fields", {{"name", "text"}}}});
  RegisterType(c, {{"id", "book"},
                   {"queryableFields",
                    {{{"name", "author"}, {"kind", "reference"}, {"refStrength", "strong"}},
                     {{"name", "related"}, {"kind", "reference"}, {"refStrength", "weak"}},
                     {{"name", "editor"}, {"path", "$.credits.editor"}, {"kind", "reference"}}}},
                   {"settings", {{"versioning", true}}}});
  const std::string ann = CreateDoc(c, "author", {{"name", "Ann"}}, true);
  const std::string bob = CreateDoc(c, "author", {{"name", "Bob"}}, false);
  const std::string theirs = CreateDoc(c, "author", {{"name", "Zed"}}, true, "other");
  const std::string create = "/v1/default/types/book/documents";

  // Refused: not a string, an unknown id, another tenant's document, an empty id.
  for (const json& data :
       {json{{"author", 5}}, json{{"author", "no-such-root"}}, json{{"author", theirs}},
        json{{"author", ""}}, json{{"related", {ann, "no-such-root"}}}, json{{"related", {ann, 7}}},
        json{{"credits", {{"editor", "no-such-root"}}}}, json{{"author", {{"id", ann}}}}}) {
    auto res = Send(c, http::verb::post, create, {{"data", data}});
    EXPECT_EQ(res.result_int(), 400u) << data.dump() << " -> " << res.body();
    if (res.result_int() != 400u) continue;
    EXPECT_EQ(ErrorCodeOf(res), "bad_request");
    EXPECT_FALSE(MessageOf(res).empty());
  }
  EXPECT_TRUE(Listed(c, "book").empty()) << "a refused create wrote a document";

  // Accepted: one strong, two weak (an array), one at a nested path.
  auto created =
      Send(c, http::verb::post, create,
           {{"data", {{"author", ann}, {"related", {bob, ann}}, {"credits", {{"editor", bob}}}}}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const json book = Body(created)["data"];
  const std::string book_root = book["root_id"];

  auto refs = c.Get("/v1/default/documents/" + ann + "/referrers", Auth());
  ASSERT_EQ(refs.result_int(), 200u) << refs.body();
  const json ann_refs = Body(refs);
  ASSERT_EQ(ann_refs["data"].size(), 2u) << refs.body();
  EXPECT_EQ(ann_refs["meta"]["count"], 2);
  std::map<std::string, json> by_field;
  for (const auto& r : ann_refs["data"])
    by_field[r["field"].get<std::string>()] = r;
  ASSERT_EQ(by_field.count("author"), 1u) << refs.body();
  ASSERT_EQ(by_field.count("related"), 1u) << refs.body();
  const json& strong = by_field["author"];
  EXPECT_EQ(strong["root_id"], book_root);
  EXPECT_EQ(strong["document_id"], book["id"]);
  EXPECT_EQ(strong["type"], "book");
  EXPECT_EQ(strong["ordinal"], 0);
  EXPECT_EQ(strong["ref_strength"], "strong");
  EXPECT_EQ(strong["published"], false);
  EXPECT_EQ(strong["current_draft"], true);
  EXPECT_EQ(by_field["related"]["ordinal"], 1);  // its place in the array
  EXPECT_EQ(by_field["related"]["ref_strength"], "weak");

  auto bob_refs = Body(c.Get("/v1/default/documents/" + bob + "/referrers", Auth()));
  std::set<std::string> bob_fields;
  for (const auto& r : bob_refs["data"])
    bob_fields.insert(r["field"].get<std::string>());
  EXPECT_EQ(bob_fields, (std::set<std::string>{"related", "editor"})) << bob_refs.dump();

  // An update with a bad reference is refused and leaves the draft as it was.
  auto bad_put = Send(c, http::verb::put, "/v1/default/documents/" + book_root,
                      {{"data", {{"author", "no-such-root"}}}});
  EXPECT_EQ(bad_put.result_int(), 400u) << bad_put.body();
  auto draft = c.Get("/v1/default/documents/" + book_root + "?status=draft", Auth());
  EXPECT_EQ(Body(draft)["data"]["version"], 1);
  EXPECT_EQ(Body(draft)["data"]["data"]["author"], ann);
  EXPECT_EQ(Body(c.Get("/v1/default/documents/" + ann + "/referrers", Auth()))["meta"]["count"], 2);

  // Publishing: the referrer shows its published row too.
  ASSERT_EQ(
      Send(c, http::verb::post, "/v1/default/documents/" + book_root + "/publish").result_int(),
      200u);
  auto after = Body(c.Get("/v1/default/documents/" + ann + "/referrers", Auth()));
  bool published_seen = false;
  for (const auto& r : after["data"])
    published_seen |= r["published"].get<bool>();
  EXPECT_TRUE(published_seen) << after.dump();

  // No referrers: an empty list. Token, unknown document, other tenant, parameters.
  auto none = c.Get("/v1/default/documents/" + book_root + "/referrers", Auth());
  ASSERT_EQ(none.result_int(), 200u);
  EXPECT_EQ(Body(none), (json{{"data", json::array()}, {"meta", {{"count", 0}}}}));
  EXPECT_EQ(c.Get("/v1/default/documents/" + ann + "/referrers").result_int(), 401u);
  EXPECT_EQ(c.Get("/v1/default/documents/no-such/referrers", Auth()).result_int(), 404u);
  EXPECT_EQ(c.Get("/v1/other/documents/" + ann + "/referrers", Auth()).result_int(), 404u);
  EXPECT_EQ(c.Get("/v1/default/documents/" + ann + "/referrers?limit=5", Auth()).result_int(),
            400u);
  EXPECT_EQ(c.Do(http::verb::post, "/v1/default/documents/" + ann + "/referrers", "", Auth())
                .result_int(),
            405u);
}

// DELETE of a document a live document strongly references is 409 naming the referrer, and
// deletes nothing; weak references do not block; once the reference is gone the delete works.
TEST_F(SonicJsModelTest, DeleteIsRefusedWhileStronglyReferenced) {
  Client c = Connect();
  RegisterType(c, {{"id", "author"}, {"fields", {{"name", "text"}}}});
  RegisterType(c, {{"id", "book"},
                   {"queryableFields",
                    {{{"name", "author"}, {"kind", "reference"}, {"refStrength", "strong"}},
                     {{"name", "related"}, {"kind", "reference"}}}}});  // versioning off
  const std::string ann = CreateDoc(c, "author", {{"name", "Ann"}}, true);
  const std::string bob = CreateDoc(c, "author", {{"name", "Bob"}}, true);
  const std::string cat = CreateDoc(c, "author", {{"name", "Cat"}}, true);
  const std::string book = CreateDoc(c, "book", {{"author", ann}, {"related", bob}}, true,
                                     "default", {{"title", "Book"}});
  const std::string draft_book = CreateDoc(c, "book", {{"author", cat}}, false);

  // Strong: refused, naming the referrer and its field; the author is still there.
  auto refused = Send(c, http::verb::delete_, "/v1/default/documents/" + ann);
  EXPECT_EQ(refused.result_int(), 409u) << refused.body();
  EXPECT_EQ(ErrorCodeOf(refused), "conflict");
  EXPECT_THAT(MessageOf(refused), HasSubstr(book));
  EXPECT_THAT(MessageOf(refused), HasSubstr("author"));
  EXPECT_EQ(c.Get("/v1/default/documents/" + ann).result_int(), 200u);
  EXPECT_EQ(c.Get("/v1/default/documents/" + ann + "?status=draft", Auth()).result_int(), 200u);
  // A draft's strong reference counts too.
  auto refused_by_draft = Send(c, http::verb::delete_, "/v1/default/documents/" + cat);
  EXPECT_EQ(refused_by_draft.result_int(), 409u) << refused_by_draft.body();
  EXPECT_THAT(MessageOf(refused_by_draft), HasSubstr(draft_book));

  // Weak: no obstacle.
  EXPECT_EQ(Send(c, http::verb::delete_, "/v1/default/documents/" + bob).result_int(), 204u);
  EXPECT_EQ(c.Get("/v1/default/documents/" + bob).result_int(), 404u);

  // A new draft without the reference does not free Ann: the published row still holds it.
  ASSERT_EQ(Send(c, http::verb::put, "/v1/default/documents/" + book, {{"data", json::object()}})
                .result_int(),
            200u);
  EXPECT_EQ(Send(c, http::verb::delete_, "/v1/default/documents/" + ann).result_int(), 409u);
  // Publishing that draft drops the published row's reference: now Ann goes.
  ASSERT_EQ(Send(c, http::verb::post, "/v1/default/documents/" + book + "/publish").result_int(),
            200u);
  EXPECT_EQ(Body(c.Get("/v1/default/documents/" + ann + "/referrers", Auth()))["meta"]["count"], 0);
  EXPECT_EQ(Send(c, http::verb::delete_, "/v1/default/documents/" + ann).result_int(), 204u);
  EXPECT_EQ(c.Get("/v1/default/documents/" + ann).result_int(), 404u);

  // A deleted referrer holds nothing either.
  EXPECT_EQ(Send(c, http::verb::delete_, "/v1/default/documents/" + draft_book).result_int(), 204u);
  EXPECT_EQ(Send(c, http::verb::delete_, "/v1/default/documents/" + cat).result_int(), 204u);
}

// ---- Global types --------------------------------------------------------------------------

// Documents of a type with settings.global live in one pool: created from one tenant, read,
// listed, read by slug and referenced from every tenant.
TEST_F(SonicJsModelTest, GlobalTypeDocumentsAreVisibleFromEveryTenant) {
  Client c = Connect();
  const json t = RegisterType(c, {{"id", "country"},
                                  {"queryableFields", {{{"name", "code"}, {"kind", "scalar"}}}},
                                  {"settings", {{"global", true}}}});
  EXPECT_EQ(t["settings"]["global"], true);
  RegisterPostType(c);  // not global: the control

  auto created = Send(c, http::verb::post, "/v1/a/types/country/documents",
                      {{"data", {{"code", "fr"}}}, {"slug", "france"}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  EXPECT_EQ(Body(created)["data"]["tenant"], "__global__");
  const std::string root = Body(created)["data"]["root_id"];
  ASSERT_EQ(Send(c, http::verb::post, "/v1/a/documents/" + root + "/publish").result_int(), 200u);
  const std::string local = CreateDoc(c, "post", {{"title", "a's"}}, true, "a");

  for (const char* tenant : {"a", "b", "c"}) {
    SCOPED_TRACE(tenant);
    const std::string v1 = std::string("/v1/") + tenant;
    auto got = c.Get(v1 + "/documents/" + root);
    ASSERT_EQ(got.result_int(), 200u) << got.body();
    EXPECT_EQ(Body(got)["data"]["tenant"], "__global__");
    auto listed = c.Get(v1 + "/types/country/documents");
    ASSERT_EQ(listed.result_int(), 200u) << listed.body();
    EXPECT_EQ(RootIds(Body(listed)), std::vector<std::string>{root});
    auto by_slug = c.Get(v1 + "/types/country/documents/by-slug/france");
    ASSERT_EQ(by_slug.result_int(), 200u) << by_slug.body();
    EXPECT_EQ(Body(by_slug)["data"]["root_id"], root);
  }
  // The control: a non-global document stays its tenant's.
  EXPECT_EQ(c.Get("/v1/b/documents/" + local).result_int(), 404u);
  EXPECT_TRUE(RootIds(Body(c.Get("/v1/b/types/post/documents"))).empty());

  // Another tenant's document may reference the global one.
  RegisterType(c, {{"id", "city"},
                   {"queryableFields",
                    {{{"name", "country"}, {"kind", "reference"}, {"refStrength", "strong"}}}}});
  const std::string city = CreateDoc(c, "city", {{"country", root}}, true, "b");
  auto refs = c.Get("/v1/b/documents/" + root + "/referrers", Auth());
  ASSERT_EQ(refs.result_int(), 200u) << refs.body();
  ASSERT_EQ(Body(refs)["meta"]["count"], 1) << refs.body();
  EXPECT_EQ(Body(refs)["data"][0]["root_id"], city);
  // And the strong reference from tenant b blocks deleting it from tenant a.
  auto refused = Send(c, http::verb::delete_, "/v1/a/documents/" + root);
  EXPECT_EQ(refused.result_int(), 409u) << refused.body();
  EXPECT_EQ(c.Get("/v1/c/documents/" + root).result_int(), 200u);
}

// include= embeds the referenced documents, on listings, single reads and reads by slug; an
// include that names no reference field is a 400.
TEST_F(SonicJsModelTest, IncludeEmbedsReferencedDocumentsEverywhere) {
  Client c = Connect();
  RegisterType(c, {{"id", "author"}, {"fields", {{"name", "text"}}}});
  RegisterType(
      c,
      {{"id", "book"},
       {"queryableFields",
        {{{"name", "author"}, {"kind", "reference"}}, {{"name", "title"}, {"kind", "scalar"}}}}});
  const std::string ann = CreateDoc(c, "author", {{"name", "Ann"}}, true);
  auto created = Send(c, http::verb::post, "/v1/default/types/book/documents",
                      {{"data", {{"author", ann}, {"title", "T"}}}, {"slug", "t"}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const std::string book = Body(created)["data"]["root_id"];
  ASSERT_EQ(Send(c, http::verb::post, "/v1/default/documents/" + book + "/publish").result_int(),
            200u);

  auto list = c.Get("/v1/default/types/book/documents?include=author");
  ASSERT_EQ(list.result_int(), 200u) << list.body();
  EXPECT_EQ(Body(list)["data"][0]["embedded"]["author"][0]["data"]["name"], "Ann");
  auto one = c.Get("/v1/default/documents/" + book + "?include=author");
  ASSERT_EQ(one.result_int(), 200u) << one.body();
  EXPECT_EQ(Body(one)["data"]["embedded"]["author"][0]["root_id"], ann);
  auto by_slug = c.Get("/v1/default/types/book/documents/by-slug/t?include=author");
  ASSERT_EQ(by_slug.result_int(), 200u) << by_slug.body();
  EXPECT_EQ(Body(by_slug)["data"]["embedded"]["author"][0]["root_id"], ann);
  // Without include, no "embedded".
  EXPECT_FALSE(Body(c.Get("/v1/default/documents/" + book))["data"].contains("embedded"));

  for (const std::string bad : {"nope", "title", "author,", ""}) {
    for (const std::string& path : {"/v1/default/types/book/documents?include=" + bad,
                                    "/v1/default/documents/" + book + "?include=" + bad}) {
      auto res = c.Get(path);
      EXPECT_EQ(res.result_int(), 400u) << path << " -> " << res.body();
    }
  }
}

// "expires_at": null clears the expiry, "scheduled_at": null the start; an omitted key keeps
// it.
TEST_F(SonicJsModelTest, NullClearsASchedule) {
  Client c = Connect();
  RegisterType(c, {{"id", "news"}, {"fields", {{"n", "integer"}}}});
  const int64_t soon = static_cast<int64_t>(std::time(nullptr)) + 3600;
  auto created = Send(c, http::verb::post, "/v1/default/types/news/documents",
                      {{"data", {{"n", 1}}}, {"expires_at", soon}, {"scheduled_at", 1}});
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const std::string root = Body(created)["data"]["root_id"];
  const std::string path = "/v1/default/documents/" + root;
  auto kept = Send(c, http::verb::patch, path, {{"data", {{"n", 2}}}});
  ASSERT_EQ(kept.result_int(), 200u) << kept.body();
  EXPECT_EQ(Body(kept)["data"]["expires_at"], soon);
  auto cleared = Send(c, http::verb::patch, path, {{"data", {{"n", 3}}}, {"expires_at", nullptr}});
  ASSERT_EQ(cleared.result_int(), 200u) << cleared.body();
  EXPECT_TRUE(Body(cleared)["data"]["expires_at"].is_null());
  EXPECT_EQ(Body(cleared)["data"]["scheduled_at"], 1);
  auto put = Send(c, http::verb::put, path, {{"data", {{"n", 4}}}, {"scheduled_at", nullptr}});
  ASSERT_EQ(put.result_int(), 200u) << put.body();
  EXPECT_TRUE(Body(put)["data"]["scheduled_at"].is_null());
}

}  // namespace
}  // namespace folio::app
